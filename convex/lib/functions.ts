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
  type QueryCtx,
} from "../_generated/server";
import type { Id } from "../_generated/dataModel";
import type { Permission } from "../shared/roles";
import { requireMembership, requirePermission } from "./access";
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
/** Anyone, signed in or not (e.g. a signed link's holder): ctx.viewer is the user or null. */
export const readerMutation = customMutation(
  mutation,
  customCtx(async (ctx) => ({ viewer: await getViewer(ctx) })),
);

export const userQuery = customQuery(
  query,
  customCtx(async (ctx) => ({ viewer: await requireViewer(ctx) })),
);
export const userMutation = customMutation(
  mutation,
  customCtx(async (ctx) => ({ viewer: await requireViewer(ctx) })),
);

const siteArgs = { siteId: v.id("sites") };

/** What a site function may declare beside args/returns/handler. */
interface SiteFunctionOptions {
  /**
   * The permission (shared/roles.ts PERMISSIONS) the viewer's role must have; checked before the
   * handler runs (FORBIDDEN otherwise). Without one, any member of the site may call it.
   */
  permission?: Permission;
}

/** Members of the site in args.siteId: ctx.viewer, ctx.site, ctx.member. Others get NOT_FOUND. */
async function siteInput(ctx: QueryCtx, siteId: Id<"sites">, { permission }: SiteFunctionOptions) {
  const viewer = await requireViewer(ctx);
  const { site, member } = await requireMembership(ctx, siteId, viewer);
  if (permission) requirePermission(member, permission);
  return { ctx: { viewer, site, member }, args: {} };
}

/**
 * Functions of one site, run as a member of args.siteId (ctx.viewer, ctx.site, ctx.member), e.g.
 * `siteMutation({ permission: "post.review", args, handler })`. Non-members get NOT_FOUND, members
 * without the permission FORBIDDEN.
 */
export const siteQuery = customQuery(query, {
  args: siteArgs,
  input: async (ctx, { siteId }, extra: SiteFunctionOptions) => siteInput(ctx, siteId, extra),
});

export const siteMutation = customMutation(mutation, {
  args: siteArgs,
  input: async (ctx, { siteId }, extra: SiteFunctionOptions) => siteInput(ctx, siteId, extra),
});

export { action, httpAction, internalAction, internalMutation, internalQuery };
