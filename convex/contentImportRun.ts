"use node";
import { v } from "convex/values";
import { internalAction } from "./lib/functions";
import { preparePost } from "./migrate/html";
import { ImportFileError, type ParsedExport } from "./migrate/types";
import { runAnalysis } from "./model/contentImportAnalyze";

// The content import's dry run (issue #17): a Node action, because the HTML → document conversion
// (migrate/html.ts) runs @tiptap/html/server on happy-dom. The work is model/contentImportAnalyze.ts.

// TEMPORARY until convex/migrate/parse.ts (P1) is committed: every file is refused with this message.
function parseUpload(_bytes: Uint8Array, _fileName: string): ParsedExport {
  throw new ImportFileError("Importing from a file is not available yet.");
}

/** Reads, parses, plans and stages an uploaded export (nothing of the site is written). */
export const analyze = internalAction({
  args: { importId: v.id("contentImports"), attempt: v.number() },
  returns: v.null(),
  handler: async (ctx, { importId, attempt }) => {
    await runAnalysis(ctx, importId, attempt, { parseUpload, preparePost });
    return null;
  },
});
