// @convex-dev/sharded-counter: many increments of one key spread over shards.
import { mutationGeneric, queryGeneric } from "convex/server";
import { v } from "convex/values";
import { ShardedCounter } from "@convex-dev/sharded-counter";
import { components } from "./_generated/api";

// Keys are any string (the test uses "likes" and others); `likes` gets 8 shards, the rest the default.
const counter = new ShardedCounter<string>(components.shardedCounter, { shards: { likes: 8 } });

export const add = mutationGeneric({
  args: { key: v.string(), by: v.number() },
  handler: async (ctx, { key, by }) => {
    await counter.add(ctx, key, by);
  },
});

export const count = queryGeneric({
  args: { key: v.string() },
  handler: async (ctx, { key }) => await counter.count(ctx, key),
});
