import { customCtx, customMutation, customQuery } from "convex-helpers/server/customFunctions";
import { v } from "convex/values";
import {
  action,
  httpAction,
  internalAction,
  internalMutation,
  internalQuery,
  mutation,
  query,
} from "../_generated/server";
import { requireMembership } from "./access";
import { getViewer, requireViewer } from "./auth";

// The only module that imports Convex's raw builders (a test enforces it). Every public function
// is built from these, so the viewer (and, for site functions, the site and the viewer's
// membership) is resolved before any handler runs.

/** Anyone, signed in or not: ctx.viewer is the user or null. */
export const readerQuery = customQuery(
  query,
  customCtx(async (ctx) => ({ viewer: await getViewer(ctx) })),
);

/** Signed-in users: ctx.viewer is the active user. */
export const userQuery = customQuery(
  query,
  customCtx(async (ctx) => ({ viewer: await requireViewer(ctx) })),
);
export const userMutation = customMutation(
  mutation,
  customCtx(async (ctx) => ({ viewer: await requireViewer(ctx) })),
);

const siteArgs = { siteId: v.id("sites") };

/** Members of the site in args.siteId: ctx.viewer, ctx.site, ctx.member. Others get NOT_FOUND. */
export const siteQuery = customQuery(query, {
  args: siteArgs,
  input: async (ctx, { siteId }) => {
    const viewer = await requireViewer(ctx);
    const { site, member } = await requireMembership(ctx, siteId, viewer);
    return { ctx: { viewer, site, member }, args: {} };
  },
});

export const siteMutation = customMutation(mutation, {
  args: siteArgs,
  input: async (ctx, { siteId }) => {
    const viewer = await requireViewer(ctx);
    const { site, member } = await requireMembership(ctx, siteId, viewer);
    return { ctx: { viewer, site, member }, args: {} };
  },
});

export { action, httpAction, internalAction, internalMutation, internalQuery };
