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
 * document (its cleanup comes early), then four `normalizeId` sync calls. Returns what each read
 * saw, so an answer meant for another stream (another table) or another call shows.
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
      // Sync syscalls between the streams (query streams no longer wait on the sync channel):
      // each answer names its own call, so one meant for another shows.
      const ids = [];
      if (notes[0] && mark) {
        for (const [table, id] of [["notes", notes[0]._id], ["marks", mark._id], ["marks", notes[0]._id], ["notes", mark._id]] as const) {
          ids.push(ctx.db.normalizeId(table, id) === (table === "notes" ? notes[0]._id : mark._id) ? "y" : "n");
        }
      }
      seen.push(`${notes.length}:${String(mark?.label ?? "none")}:${firstNote}:${ids.join("")}`);
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
