import { v } from "convex/values";
import type { Doc } from "./_generated/dataModel";
import { internalAction, internalMutation, internalQuery } from "./lib/functions";
import { sendEmail, siteInvitationEmail } from "./model/email";
import { EMAIL_KINDS, emailFields, vEmailKind, vSiteRole } from "./validators";

// The email outbox (model/email.ts decides between it and Resend). Nothing here is public: the dev
// mailbox page reads devMailbox with the local backend's admin key, tests read latestFor.

const vEmail = v.object({
  _id: v.id("emails"),
  to: v.string(),
  subject: v.string(),
  text: v.string(),
  html: v.union(v.string(), v.null()),
  kind: vEmailKind,
  createdAt: v.number(),
  sentAt: v.union(v.number(), v.null()),
  provider: v.union(v.literal("outbox"), v.literal("resend")),
});

function toView(e: Doc<"emails">) {
  return {
    _id: e._id,
    to: e.to,
    subject: e.subject,
    text: e.text,
    html: e.html ?? null,
    kind: e.kind,
    createdAt: e.createdAt,
    sentAt: e.sentAt ?? null,
    provider: e.provider,
  };
}

/** Records an email: an undelivered outbox entry, or the log line of one Resend accepted. */
export const enqueue = internalMutation({
  args: { ...emailFields, createdAt: v.optional(v.number()) },
  returns: v.id("emails"),
  handler: async (ctx, args) => {
    return await ctx.db.insert("emails", { ...args, to: args.to.trim().toLowerCase(), createdAt: args.createdAt ?? Date.now() });
  },
});

/**
 * A post send's batch in the outbox (model/email.ts sendEmailBatch without Resend): once per
 * idempotency key, like Resend's Idempotency-Key. Returns the rows' ids as provider ids.
 */
export const enqueueBatch = internalMutation({
  args: {
    idempotencyKey: v.string(),
    messages: v.array(v.object({ to: v.string(), subject: v.string(), text: v.string(), html: v.string() })),
  },
  returns: v.array(v.string()),
  handler: async (ctx, { idempotencyKey, messages }) => {
    const earlier = await ctx.db
      .query("emails")
      .withIndex("by_idempotencyKey", (q) => q.eq("idempotencyKey", idempotencyKey))
      .take(100);
    if (earlier.length > 0) return earlier.map((e) => e._id);
    const now = Date.now();
    const ids: string[] = [];
    for (const m of messages) ids.push(await ctx.db.insert("emails", { ...m, kind: "post", provider: "outbox", createdAt: now, idempotencyKey }));
    return ids;
  },
});

/** The newest emails, newest first (at most `limit`, default 50, max 200), optionally to one address. */
export const devMailbox = internalQuery({
  args: { limit: v.optional(v.number()), to: v.optional(v.string()) },
  returns: v.array(vEmail),
  handler: async (ctx, { limit, to }) => {
    const n = Math.max(1, Math.min(200, Math.floor(limit ?? 50)));
    if (to === undefined) {
      return (await ctx.db.query("emails").order("desc").take(n)).map(toView);
    }
    const address = to.trim().toLowerCase();
    const rows: Doc<"emails">[] = [];
    for (const kind of EMAIL_KINDS) {
      rows.push(
        ...(await ctx.db
          .query("emails")
          .withIndex("by_to_and_kind", (q) => q.eq("to", address).eq("kind", kind))
          .order("desc")
          .take(n)),
      );
    }
    rows.sort((a, b) => b._creationTime - a._creationTime);
    return rows.slice(0, n).map(toView);
  },
});

/** The newest email of a kind to an address, or null (tests read codes with it). */
export const latestFor = internalQuery({
  args: { email: v.string(), kind: vEmailKind },
  returns: v.union(vEmail, v.null()),
  handler: async (ctx, { email, kind }) => {
    const row = await ctx.db
      .query("emails")
      .withIndex("by_to_and_kind", (q) => q.eq("to", email.trim().toLowerCase()).eq("kind", kind))
      .order("desc")
      .first();
    return row ? toView(row) : null;
  },
});

/**
 * Emails a site invitation. For mutations (members.invite): schedule it with
 * `ctx.scheduler.runAfter(0, internal.emails.sendSiteInvite, {...})`. `link` is the absolute accept URL.
 */
export const sendSiteInvite = internalAction({
  args: { to: v.string(), siteName: v.string(), inviterName: v.string(), role: vSiteRole, link: v.string() },
  returns: v.null(),
  handler: async (ctx, { to, ...rest }) => {
    await sendEmail(ctx, { to, kind: "site-invite", ...siteInvitationEmail(rest) });
    return null;
  },
});
