"use node";
import { v } from "convex/values";
import { internalAction } from "./lib/functions";
import { preparePost } from "./migrate/html";
import { parseUpload } from "./migrate/parse";
import { runAnalysis } from "./model/contentImportAnalyze";

// The content import's dry run (issue #17): a Node action, because the parsers (happy-dom) and the
// HTML → document conversion (migrate/html.ts: @tiptap/html/server) need Node. The work is
// model/contentImportAnalyze.ts.

/** Reads, parses, plans and stages an uploaded export (nothing of the site is written). */
export const analyze = internalAction({
  args: { importId: v.id("contentImports"), attempt: v.number() },
  returns: v.null(),
  handler: async (ctx, { importId, attempt }) => {
    await runAnalysis(ctx, importId, attempt, { parseUpload, preparePost });
    return null;
  },
});
