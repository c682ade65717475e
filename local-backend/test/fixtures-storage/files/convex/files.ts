// File storage functions for local-backend/test/storage.test.ts: every ctx.storage method from
// each function kind that may call it (convex@1.48.0: store/get also work in mutations).
import { actionGeneric, mutationGeneric, queryGeneric } from "convex/server";
import { v } from "convex/values";

export const generateUploadUrl = mutationGeneric({
  args: {},
  handler: async (ctx) => ctx.storage.generateUploadUrl(),
});

export const generateUploadUrlInAction = actionGeneric({
  args: {},
  handler: async (ctx) => ctx.storage.generateUploadUrl(),
});

export const getUrl = queryGeneric({
  args: { id: v.id("_storage") },
  handler: async (ctx, { id }) => ctx.storage.getUrl(id),
});

export const getUrlAnyId = queryGeneric({
  args: { id: v.string() },
  handler: async (ctx, { id }) => ctx.storage.getUrl(id as any),
});

export const getMetadata = queryGeneric({
  args: { id: v.id("_storage") },
  handler: async (ctx, { id }) => ctx.storage.getMetadata(id),
});

export const systemGet = queryGeneric({
  args: { id: v.id("_storage") },
  handler: async (ctx, { id }) => ctx.db.system.get(id),
});

export const list = queryGeneric({
  args: {},
  handler: async (ctx) => ctx.db.system.query("_storage").collect(),
});

export const remove = mutationGeneric({
  args: { id: v.id("_storage") },
  handler: async (ctx, { id }) => {
    await ctx.storage.delete(id);
  },
});

export const removeThenThrow = mutationGeneric({
  args: { id: v.id("_storage") },
  handler: async (ctx, { id }) => {
    await ctx.storage.delete(id);
    throw new Error("rolled back on purpose");
  },
});

export const removeInAction = actionGeneric({
  args: { id: v.id("_storage") },
  handler: async (ctx, { id }) => {
    await ctx.storage.delete(id);
  },
});

export const storeInAction = actionGeneric({
  args: { text: v.string(), type: v.optional(v.string()), sha256: v.optional(v.string()) },
  handler: async (ctx, { text, type, sha256 }) => {
    const id = await ctx.storage.store(new Blob([text], { type: type ?? "" }), sha256 ? { sha256 } : undefined);
    const blob = await ctx.storage.get(id);
    return { id, text: blob ? await blob.text() : null, type: blob?.type ?? null, url: await ctx.storage.getUrl(id) };
  },
});

export const getInAction = actionGeneric({
  args: { id: v.id("_storage") },
  handler: async (ctx, { id }) => {
    const blob = await ctx.storage.get(id);
    return blob ? { text: await blob.text(), type: blob.type } : null;
  },
});

export const getDeleteThenRead = actionGeneric({
  args: { id: v.id("_storage") },
  handler: async (ctx, { id }) => {
    const blob = await ctx.storage.get(id);
    await ctx.storage.delete(id);
    const again = await ctx.storage.get(id);
    return { text: blob ? await blob.text() : null, size: blob?.size ?? null, isBlob: blob instanceof Blob, again };
  },
});

export const storeInMutation = mutationGeneric({
  args: { text: v.string(), type: v.optional(v.string()) },
  handler: async (ctx, { text, type }) => {
    const id = await ctx.storage.store(new Blob([text], { type: type ?? "" }));
    const blob = await ctx.storage.get(id);
    const doc = await ctx.db.system.get(id);
    return { id, text: blob ? await blob.text() : null, size: doc?.size ?? null };
  },
});

export const storeInMutationThenThrow = mutationGeneric({
  args: { text: v.string() },
  handler: async (ctx, { text }) => {
    await ctx.storage.store(new Blob([text]));
    throw new Error("rolled back on purpose");
  },
});

export const getInMutation = mutationGeneric({
  args: { id: v.id("_storage") },
  handler: async (ctx, { id }) => {
    const blob = await ctx.storage.get(id);
    return blob ? await blob.text() : null;
  },
});
