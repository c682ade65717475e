// @convex-dev/migrations: fills `items.doubled` in batches, started with runOne as its README shows.
import { internalMutationGeneric, mutationGeneric, queryGeneric } from "convex/server";
import { v } from "convex/values";
import { Migrations } from "@convex-dev/migrations";
import { components, internal } from "./_generated/api";

const migrations = new Migrations(components.migrations, { internalMutation: internalMutationGeneric });

export const setDoubled = migrations.define({
  table: "items",
  batchSize: 7,
  migrateOne: async (ctx, doc: any) =>
    doc.doubled === undefined ? { doubled: doc.n * 2, batch: ctx.db.vars.commitTs } : undefined,
});

export const seed = mutationGeneric({
  args: { count: v.number() },
  handler: async (ctx, { count }) => {
    for (let n = 0; n < count; n++) await ctx.db.insert("items", { n });
  },
});

export const start = mutationGeneric({
  args: {},
  handler: async (ctx) => {
    await migrations.runOne(ctx, internal.migrate.setDoubled);
  },
});

export const status = queryGeneric({
  args: {},
  handler: async (ctx) => await migrations.getStatus(ctx, { migrations: [internal.migrate.setDoubled] }),
});

export const items = queryGeneric({
  args: {},
  handler: async (ctx) => (await ctx.db.query("items").collect()).map((d) => [d.n, d.doubled ?? null, String(d.batch)]),
});
