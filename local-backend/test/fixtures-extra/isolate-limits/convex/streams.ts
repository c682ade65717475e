// Many small query streams per run, as audienceImport:exportPage does (one read per member):
// local-backend/test/isolate-sync-channel.test.ts checks each stream gets its own answers.
import { makeFunctionReference, mutationGeneric, queryGeneric } from "convex/server";
import { v } from "convex/values";

export const addMark = mutationGeneric({
  args: { label: v.string() },
  handler: async (ctx, { label }) => ctx.db.insert("marks", { label }),
});

/**
 * Each round: two streams side by side (one `take`, one `first`), then a stream left after one
 * document (its cleanup comes early). Returns what each read saw, so an answer meant for another
 * stream (another table) shows.
 */
export const mixedReads = queryGeneric({
  args: { rounds: v.number() },
  handler: async (ctx, { rounds }) => {
    const seen: string[] = [];
    for (let i = 0; i < rounds; i++) {
      const [notes, mark] = await Promise.all([ctx.db.query("notes").take(50), ctx.db.query("marks").first()]);
      let firstNote = "none";
      for await (const note of ctx.db.query("notes")) {
        firstNote = String(note.text);
        break;
      }
      seen.push(`${notes.length}:${String(mark?.label ?? "none")}:${firstNote}`);
    }
    return seen;
  },
});

/** The same reads in a nested ctx.runQuery between the caller's own (one worker, two invocations). */
export const nestedMixedReads = queryGeneric({
  args: { rounds: v.number() },
  handler: async (ctx, { rounds }): Promise<string[]> => {
    const own = (await ctx.db.query("marks").take(10)).map((m) => String(m.label));
    const inner = await ctx.runQuery(makeFunctionReference<"query", { rounds: number }, string[]>("streams:mixedReads"), { rounds });
    const after = (await ctx.db.query("notes").take(50)).length;
    return [own.join(","), ...inner, String(after)];
  },
});
