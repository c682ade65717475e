// @convex-dev/workpool: an action that fails before it succeeds (retried with backoff), a
// mutation, and the onComplete mutation recording each outcome.
import { actionGeneric, internalMutationGeneric, mutationGeneric, queryGeneric } from "convex/server";
import { v } from "convex/values";
import { vOnCompleteArgs, Workpool, type WorkId } from "@convex-dev/workpool";
import { components, internal } from "./_generated/api";

const pool = new Workpool(components.workpool, {
  maxParallelism: 3,
  retryActionsByDefault: true,
  defaultRetryBehavior: { maxAttempts: 4, initialBackoffMs: 20, base: 2 },
});

export const recordAttempt = internalMutationGeneric({
  args: { job: v.string() },
  handler: async (ctx, { job }) => {
    await ctx.db.insert("attempts", { job });
    return (await ctx.db.query("attempts").withIndex("by_job", (q) => q.eq("job", job)).collect()).length;
  },
});

export const flaky = actionGeneric({
  args: { job: v.string(), failTimes: v.number() },
  handler: async (ctx, { job, failTimes }): Promise<string> => {
    const attempt: number = await ctx.runMutation(internal.jobs.recordAttempt, { job });
    if (attempt <= failTimes) throw new Error(`attempt ${attempt} of ${job} fails`);
    return `${job} done on attempt ${attempt}`;
  },
});

export const bump = internalMutationGeneric({
  args: { job: v.string() },
  handler: async (ctx, { job }) => {
    await ctx.db.insert("attempts", { job });
    return job.length;
  },
});

export const done = internalMutationGeneric({
  args: vOnCompleteArgs(v.object({ job: v.string() })),
  handler: async (ctx, { context, result }) => {
    const value = result.kind === "success" ? result.returnValue : result.kind === "failed" ? result.error : undefined;
    await ctx.db.insert("completions", { job: context.job, kind: result.kind, value });
  },
});

export const enqueue = mutationGeneric({
  args: { job: v.string(), failTimes: v.number(), kind: v.union(v.literal("action"), v.literal("mutation")) },
  handler: async (ctx, { job, failTimes, kind }): Promise<string> => {
    const opts = { onComplete: internal.jobs.done, context: { job } };
    const id: WorkId =
      kind === "action"
        ? await pool.enqueueAction(ctx, internal.jobs.flaky, { job, failTimes }, opts)
        : await pool.enqueueMutation(ctx, internal.jobs.bump, { job }, opts);
    return id;
  },
});

export const status = queryGeneric({
  args: { id: v.string() },
  handler: async (ctx, { id }) => await pool.status(ctx, id as WorkId),
});

export const outcome = queryGeneric({
  args: { job: v.string() },
  handler: async (ctx, { job }) => ({
    attempts: (await ctx.db.query("attempts").withIndex("by_job", (q) => q.eq("job", job)).collect()).length,
    completions: (await ctx.db.query("completions").collect())
      .filter((c) => c.job === job)
      .map((c) => ({ kind: c.kind, value: c.value })),
  }),
});
