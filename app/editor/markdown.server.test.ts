import type { JSONContent } from "@tiptap/core";
import { describe, expect, it } from "vitest";
import { RICH_DOC } from "./__fixtures__/rich-doc";
import { randomDoc, TRICKY_TEXTS } from "./__fixtures__/random-doc";
import { normalizeDoc } from "./doc";
import { docToMarkdown, markdownToDoc } from "./markdown";

// markdown.server.ts swaps generateJSON's per-call Window and schema for one long-lived happy-dom
// Window (speed of the Markdown export only): the documents and the Markdown must not change.
// The outputs are taken first through generateJSON (nothing registered yet in this file's module
// graph), then again with the server parser loaded.

const SEEDS = 300;
const p = (t: string, marks?: JSONContent["marks"]): JSONContent => ({ type: "paragraph", content: [marks ? { type: "text", text: t, marks } : { type: "text", text: t }] });
const MARKS: JSONContent["marks"][] = [[{ type: "bold" }], [{ type: "italic" }], [{ type: "strike" }], [{ type: "code" }]];
const docs: JSONContent[] = [
  normalizeDoc(RICH_DOC),
  ...Array.from({ length: SEEDS }, (_, i) => normalizeDoc(randomDoc(i + 1))),
  ...MARKS.map((m) => normalizeDoc({ type: "doc", content: TRICKY_TEXTS.flatMap((t) => [p(t, m), p(`x${t}y`, m)]) })),
];
const markdownInputs = [
  "# Title\n\nSome **bold**, _it_, ~~gone~~ and `code`.\n\n> quote\n> - list\n\n1. one\n2. two\n",
  "<p>raw <strong>html</strong> &amp; entities &#32; &nbsp; &lt;x&gt;</p>\n\n<div>\nblock\n</div>\n",
  "a  b\tc\n\nline  \nbreak\n\n```js\nconst x = `y`;\n```\n",
  "<script>alert(1)</script><img src=x onerror=alert(1)> [l](javascript:alert(1)) ![i](https://e.com/a.png \"t\")",
  ...TRICKY_TEXTS,
];

describe("docToMarkdown with the server's long-lived DOM", () => {
  it(`gives the same Markdown and documents as generateJSON (${docs.length} documents, ${markdownInputs.length} Markdown texts)`, async () => {
    const before = docs.map((d) => docToMarkdown(d));
    const parsedBefore = markdownInputs.map((md) => markdownToDoc(md));
    // Some documents must take the HTML-tag fallback, or the check would not cover its read-backs.
    expect(before.some((md) => /<(strong|em|del)>/.test(md))).toBe(true);
    await import("./markdown.server");
    const after = docs.map((d) => docToMarkdown(d));
    for (let i = 0; i < docs.length; i++) expect(after[i], `document ${i}`).toBe(before[i]);
    expect(markdownInputs.map((md) => markdownToDoc(md))).toEqual(parsedBefore);
  }, 120_000);
});
