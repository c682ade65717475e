import { v } from "convex/values";
import { siteMutation, siteQuery } from "./lib/functions";
import * as Newsletters from "./model/newsletters";

// A site's newsletters (ADR 012), for the studio: thin wrappers over model/newsletters.ts. Members'
// subscriptions to them are in audience.ts.

const vNewsletter = v.object({
  _id: v.id("newsletters"),
  name: v.string(),
  senderName: v.string(),
  replyTo: v.union(v.string(), v.null()),
  defaultOn: v.boolean(),
  archived: v.boolean(),
  createdAt: v.number(),
});

const input = { name: v.string(), senderName: v.string(), replyTo: v.optional(v.union(v.string(), v.null())), defaultOn: v.boolean() };

/** Every newsletter of the site, archived ones included (flagged), oldest first. */
export const list = siteQuery({
  permission: "audience.manage",
  args: {},
  returns: v.array(vNewsletter),
  handler: async (ctx) =>
    (await Newsletters.listNewsletters(ctx, ctx.site._id)).map((n) => ({
      _id: n._id,
      name: n.name,
      senderName: n.senderName,
      replyTo: n.replyTo ?? null,
      defaultOn: n.defaultOn,
      archived: n.archived === true,
      createdAt: n.createdAt,
    })),
});

/** @throws INVALID_ARGUMENT (field), INVALID_STATE (too many newsletters). */
export const create = siteMutation({
  permission: "audience.manage",
  args: input,
  returns: v.id("newsletters"),
  handler: async (ctx, args) => await Newsletters.createNewsletter(ctx, ctx.site._id, args),
});

/** @throws NOT_FOUND (another site's), INVALID_ARGUMENT (field). */
export const update = siteMutation({
  permission: "audience.manage",
  args: { newsletterId: v.id("newsletters"), ...input },
  returns: v.null(),
  handler: async (ctx, { newsletterId, ...args }) => {
    await Newsletters.updateNewsletter(ctx, ctx.site._id, newsletterId, args);
    return null;
  },
});

/** Archives (archived: true, the default) or restores a newsletter; subscriptions are kept. */
export const archive = siteMutation({
  permission: "audience.manage",
  args: { newsletterId: v.id("newsletters"), archived: v.optional(v.boolean()) },
  returns: v.null(),
  handler: async (ctx, { newsletterId, archived }) => {
    await Newsletters.archiveNewsletter(ctx, ctx.site._id, newsletterId, archived ?? true);
    return null;
  },
});
