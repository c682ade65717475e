// fetch, timers and raw syscalls inside functions (local-backend/test/runtime.test.ts).
import { actionGeneric, mutationGeneric, queryGeneric } from "convex/server";
import { v } from "convex/values";

export const fetchInQuery = queryGeneric({
  args: { url: v.string() },
  handler: async (_ctx, { url }) => (await fetch(url)).status,
});

export const fetchInMutation = mutationGeneric({
  args: { url: v.string() },
  handler: async (_ctx, { url }) => (await fetch(url)).status,
});

export const fetchInAction = actionGeneric({
  args: { url: v.string() },
  handler: async (_ctx, { url }) => {
    const res = await fetch(url, { method: "POST", body: "ping" });
    return { status: res.status, body: await res.text() };
  },
});

export const setTimeoutInMutation = mutationGeneric({
  args: {},
  handler: async () => {
    await new Promise((resolve) => setTimeout(resolve, 1));
    return "timer fired";
  },
});

export const setTimeoutInQuery = queryGeneric({
  args: {},
  handler: async () => {
    await new Promise((resolve) => setTimeout(resolve, 1));
    return "timer fired";
  },
});

export const setIntervalInMutation = mutationGeneric({
  args: {},
  handler: async () => {
    const id = setInterval(() => {}, 1000);
    clearInterval(id);
    return "interval created";
  },
});

export const timersInAction = actionGeneric({
  args: { ms: v.number() },
  handler: async (_ctx, { ms }) => {
    const start = Date.now();
    await new Promise((resolve) => setTimeout(resolve, ms));
    let ticks = 0;
    await new Promise<void>((resolve) => {
      const id = setInterval(() => {
        if (++ticks === 2) {
          clearInterval(id);
          resolve();
        }
      }, 1);
    });
    return { elapsed: Date.now() - start, ticks };
  },
});

export const unknownAsyncSyscall = actionGeneric({
  args: {},
  handler: async () => {
    return await (globalThis as any).Convex.asyncSyscall("1.0/doesNotExist", "{}");
  },
});

export const unknownSyncSyscall = queryGeneric({
  args: {},
  handler: async () => {
    return (globalThis as any).Convex.syscall("1.0/alsoDoesNotExist", "{}");
  },
});
