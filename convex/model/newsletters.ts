import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { audit } from "../lib/audit";
import { appError, cleanField } from "../lib/errors";
import { FIELDS } from "../shared/fields";

// A site's newsletters (ADR 012). A site that has none gets a default one ("<site name>", on for new
// members) the first time a member needs one: ensureDefaultNewsletter, called from the code that
// subscribes members, so no migration has to scan the sites.

/** Newsletters per site: enough for any publication, small enough to read whole in a transaction. */
export const MAX_NEWSLETTERS = 50;

export interface NewsletterInput {
  name: string;
  senderName: string;
  replyTo?: string | null;
  defaultOn: boolean;
}

function clean(input: NewsletterInput) {
  const name = cleanField(FIELDS.displayName, input.name, "name", "Give the newsletter a name (1 to 100 characters).");
  const senderName = cleanField(FIELDS.displayName, input.senderName, "senderName", "Enter a sender name (1 to 100 characters).");
  const reply = input.replyTo?.trim();
  const replyTo = reply ? cleanField(FIELDS.email, reply, "replyTo") : undefined;
  return { name, senderName, replyTo, defaultOn: input.defaultOn };
}

/** Every newsletter of the site, archived ones included, oldest first. */
export async function listNewsletters(ctx: QueryCtx, siteId: Id<"sites">): Promise<Doc<"newsletters">[]> {
  return await ctx.db
    .query("newsletters")
    .withIndex("by_siteId", (q) => q.eq("siteId", siteId))
    .take(MAX_NEWSLETTERS);
}

/** The site's newsletters, creating the default one if it has none yet (never when one exists, even archived). */
export async function ensureDefaultNewsletter(ctx: MutationCtx, site: Doc<"sites">): Promise<Doc<"newsletters">[]> {
  const existing = await listNewsletters(ctx, site._id);
  if (existing.length > 0) return existing;
  const now = Date.now();
  const name = site.name.trim().slice(0, FIELDS.displayName.max) || "Newsletter";
  const id = await ctx.db.insert("newsletters", { siteId: site._id, name, senderName: name, defaultOn: true, createdAt: now });
  return [(await ctx.db.get("newsletters", id))!];
}

/** A newsletter of this site. @throws NOT_FOUND for another site's (or a missing) one. */
export async function requireNewsletter(ctx: QueryCtx, siteId: Id<"sites">, newsletterId: Id<"newsletters">): Promise<Doc<"newsletters">> {
  const n = await ctx.db.get("newsletters", newsletterId);
  if (!n || n.siteId !== siteId) throw appError("NOT_FOUND");
  return n;
}

export async function createNewsletter(ctx: MutationCtx, siteId: Id<"sites">, input: NewsletterInput): Promise<Id<"newsletters">> {
  const fields = clean(input);
  if ((await listNewsletters(ctx, siteId)).length >= MAX_NEWSLETTERS) {
    throw appError("INVALID_STATE", { message: `A site can have at most ${MAX_NEWSLETTERS} newsletters.` });
  }
  const now = Date.now();
  const id = await ctx.db.insert("newsletters", { siteId, ...fields, createdAt: now, updatedAt: now });
  await audit(ctx, { siteId, action: "newsletter.create", entityType: "newsletter", entityId: id, before: null, after: fields });
  return id;
}

export async function updateNewsletter(ctx: MutationCtx, siteId: Id<"sites">, newsletterId: Id<"newsletters">, input: NewsletterInput): Promise<void> {
  const before = await requireNewsletter(ctx, siteId, newsletterId);
  const fields = clean(input);
  await ctx.db.patch("newsletters", newsletterId, { ...fields, updatedAt: Date.now() });
  await audit(ctx, {
    siteId,
    action: "newsletter.update",
    entityType: "newsletter",
    entityId: newsletterId,
    before: { name: before.name, senderName: before.senderName, replyTo: before.replyTo, defaultOn: before.defaultOn },
    after: fields,
  });
}

/**
 * Archives (or restores) a newsletter: archived ones are not offered to members nor sent to; the
 * members' subscriptions are kept so a restore brings them back.
 */
export async function archiveNewsletter(ctx: MutationCtx, siteId: Id<"sites">, newsletterId: Id<"newsletters">, archived: boolean): Promise<void> {
  const before = await requireNewsletter(ctx, siteId, newsletterId);
  if ((before.archived === true) === archived) return;
  await ctx.db.patch("newsletters", newsletterId, { archived, updatedAt: Date.now() });
  await audit(ctx, {
    siteId,
    action: archived ? "newsletter.archive" : "newsletter.restore",
    entityType: "newsletter",
    entityId: newsletterId,
    before: { archived: before.archived === true },
    after: { archived },
  });
}
