import type { JSONContent } from "@tiptap/core";

// Seeded random documents for round-trip properties: adversarial text (Markdown syntax, entities,
// URLs, whitespace, emoji) under random marks, in random nested structures.

export function rng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
}

export const TRICKY_TEXTS = [
  "hello", "a*b", "_x_", "1. item", "# not a heading", "see https://x.com now", "www.a.com", "a@b.com",
  "&amp;", "&copy", "<b>", "two  spaces", " lead", "trail ", "C#", "x|y", "~~s~~", "`tick`", "\\", "[a](b)",
  "!", ".", "é", "😀", "foo.", ",bar", "—", "+", "- x", "=", "> q", "10) ten", "word", "snake_case", "***",
  "a  ", "\t tab", "(paren)", "]", "\"q\"", "'", "$", "%", "^", "{}", ":", ";", "?", "?!", "x", "![i](j)",
  "<!-- c -->", "&#32;", "---", "***bold***", "  ", "a\\*b", "[^1]", "[x]: /y",
];
const HREFS = [
  "https://example.com", "https://example.com/a(b)", "https://x.com/?a=1&b=2", "mailto:a@b.com", "/about", "#notes",
  "https://x.com/a b", "https://x.com/&amp;", "http://x.com/\\y", "https://x.com/<>",
];
const CODE = ["x = 1", "a\n\nb", "```\ninner\n```", "  indented\n\ttab", "trailing\n", "\nleading", "<script>", "`", "~~~", "\n", ""];

export function randomDoc(seed: number): JSONContent {
  const rnd = rng(seed);
  const pick = <T,>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)];
  const inline = (n: number): JSONContent[] => {
    const out: JSONContent[] = [];
    for (let i = 0; i < n; i++) {
      if (rnd() < 0.1) {
        out.push({ type: "hardBreak" });
        continue;
      }
      const text = pick(TRICKY_TEXTS);
      const marks: NonNullable<JSONContent["marks"]> = [];
      if (rnd() < 0.15) marks.push({ type: "code" });
      else {
        if (rnd() < 0.35) marks.push({ type: "bold" });
        if (rnd() < 0.35) marks.push({ type: "italic" });
        if (rnd() < 0.2) marks.push({ type: "strike" });
        if (rnd() < 0.2) marks.push({ type: "link", attrs: { href: pick(HREFS), title: rnd() < 0.3 ? pick(["t", 'a "b"', "x & y", "&amp;"]) : null } });
      }
      out.push(marks.length ? { type: "text", text, marks } : { type: "text", text });
    }
    return out;
  };
  const blocks = (depth: number, n: number): JSONContent[] => {
    const out: JSONContent[] = [];
    for (let i = 0; i < n; i++) {
      const r = rnd();
      if (r < 0.3 || depth > 3) out.push({ type: "paragraph", content: inline(1 + Math.floor(rnd() * 5)) });
      else if (r < 0.4) out.push({ type: "heading", attrs: { level: 1 + Math.floor(rnd() * 4) }, content: inline(1 + Math.floor(rnd() * 3)) });
      else if (r < 0.5) out.push({ type: "blockquote", content: blocks(depth + 1, 1 + Math.floor(rnd() * 3)) });
      else if (r < 0.6) {
        const code = pick(CODE);
        out.push({ type: "codeBlock", attrs: { language: pick([null, "js", "c++", "ts"]) }, content: code ? [{ type: "text", text: code }] : [] });
      } else if (r < 0.75) {
        const items = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => ({
          type: "listItem",
          content: [
            { type: "paragraph", content: rnd() < 0.1 ? [] : inline(1 + Math.floor(rnd() * 3)) },
            ...(rnd() < 0.4 ? blocks(depth + 1, 1 + Math.floor(rnd() * 2)) : []),
          ],
        }));
        out.push(rnd() < 0.5 ? { type: "orderedList", attrs: { start: pick([1, 1, 3, 10, 0]) }, content: items } : { type: "bulletList", content: items });
      } else if (r < 0.8) out.push({ type: "horizontalRule" });
      else if (r < 0.88) {
        out.push({
          type: "image",
          attrs: { src: pick(["https://x.com/a.png", "/api/storage/abc", "https://x.com/a(1).png"]), alt: pick([null, "alt", "a [b] *c*", "x & y", "<i>"]), title: pick([null, "title", 'q"uote']) },
        });
      } else out.push({ type: "paragraph" });
    }
    return out;
  };
  return { type: "doc", content: blocks(0, 1 + Math.floor(rnd() * 5)) };
}
