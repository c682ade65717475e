// Markdown in the browser: app/editor/markdown.ts parses HTML with the DOM (@tiptap/html), so
// conversions run here rather than on the server. Loaded on first use (marked, sanitize-html and
// @tiptap/html are heavy; the lazily loaded editor chunk loads it for pastes too).
import { docToText, type DocNode } from "../../../convex/model/content";
import type * as markdownModule from "../../editor/markdown";
import type { Draft } from "./use-autosave";

async function markdown(): Promise<typeof markdownModule> {
  return import("../../editor/markdown");
}

/** A document's text as Markdown; plain text if the converter cannot run. */
export async function docToMarkdownText(doc: string): Promise<string> {
  try {
    const { docToMarkdown } = await markdown();
    return docToMarkdown(JSON.parse(doc));
  } catch (error) {
    console.error("Markdown export failed, using plain text:", error);
    try {
      return docToText(JSON.parse(doc) as DocNode);
    } catch {
      return "";
    }
  }
}

/** The post as a Markdown file: the title as the top heading, then the body. */
export async function draftToMarkdownFile(draft: Pick<Draft, "title" | "doc">): Promise<string> {
  const body = await docToMarkdownText(draft.doc);
  return draft.title.trim() ? `# ${draft.title.trim()}\n\n${body}` : body;
}

/**
 * A Markdown file → title (from a leading "# " heading, if there is one) and document JSON text.
 */
export async function markdownFileToDraft(text: string): Promise<{ title: string | null; doc: string }> {
  const { markdownToDoc } = await markdown();
  const match = /^\uFEFF?\s*# +(.+?)\s*#*\s*(?:\r?\n|$)/.exec(text);
  const title = match ? match[1].trim() : null;
  const body = match ? text.slice(match[0].length) : text;
  return { title, doc: JSON.stringify(markdownToDoc(body)) };
}

/** Saves text as a file in the browser's downloads. */
export function download(filename: string, text: string, type = "text/markdown;charset=utf-8") {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
