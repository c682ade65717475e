import { describe, expect, it } from "vitest";
import { rng } from "./__fixtures__/random-doc";
import { docSchema, emptyDoc, normalizeDoc, parseDocText, stringifyDoc } from "./doc";
import { MARK, NODE } from "./extensions";
import { isExternalHref, safeImageSrc, safeLanguage, safeLinkHref } from "./urls";

describe("the shared schema", () => {
  it("has exactly the node and mark names the renderer knows", () => {
    const schema = docSchema();
    expect(new Set(Object.keys(schema.nodes))).toEqual(new Set(Object.values(NODE)));
    expect(new Set(Object.keys(schema.marks))).toEqual(new Set(Object.values(MARK)));
    expect(schema.nodes.heading.spec.parseDOM!.map((r) => r.tag)).toEqual(["h1", "h2", "h3", "h4"]);
  });
});

describe("URL policy", () => {
  it.each([
    ["https://example.com/a?b=1#c", "https://example.com/a?b=1#c"],
    ["HTTP://EXAMPLE.COM", "HTTP://EXAMPLE.COM"],
    ["  https://example.com  ", "https://example.com"],
    ["mailto:a@b.c", "mailto:a@b.c"],
    ["/about", "/about"],
    ["#notes", "#notes"],
    ["javascript:alert(1)", null],
    ["JAVASCRIPT:alert(1)", null],
    ["java\tscript:alert(1)", null],
    ["java\nscript:alert(1)", null],
    ["\u0000javascript:alert(1)", null],
    ["&#106;avascript:alert(1)", null],
    ["data:text/html,x", null],
    ["vbscript:x", null],
    ["file:///etc/passwd", null],
    ["ftp://example.com", null],
    ["//evil.example", null],
    ["/\\evil.example", null],
    ["https:evil.example", null],
    ["https:///x", null],
    ["evil.example/x", null],
    ["mailto:", null],
    ["", null],
    [42, null],
    ["https://x.com/" + "a".repeat(3000), null],
  ])("link %j → %j", (input, expected) => {
    expect(safeLinkHref(input)).toBe(expected);
  });

  it.each([
    ["https://cdn.example.com/a.png", "https://cdn.example.com/a.png"],
    ["http://127.0.0.1:3210/api/storage/abc", "http://127.0.0.1:3210/api/storage/abc"],
    ["/api/storage/kg2abc", "/api/storage/kg2abc"],
    ["/other/path.png", null],
    ["mailto:a@b.c", null],
    ["data:image/png;base64,AAAA", null],
    ["javascript:alert(1)", null],
    ["//evil.example/x.png", null],
    ["x", null],
  ])("image %j → %j", (input, expected) => {
    expect(safeImageSrc(input)).toBe(expected);
  });

  it("external links are the absolute ones", () => {
    expect(isExternalHref("https://x.com")).toBe(true);
    expect(isExternalHref("mailto:a@b.c")).toBe(true);
    expect(isExternalHref("/about")).toBe(false);
    expect(isExternalHref("#x")).toBe(false);
  });

  it("code languages are plain identifiers", () => {
    expect(safeLanguage("TypeScript")).toBe("TypeScript");
    expect(safeLanguage("c++")).toBe("c++");
    expect(safeLanguage('js" onclick="x')).toBeNull();
    expect(safeLanguage("a b")).toBeNull();
    expect(safeLanguage(null)).toBeNull();
  });
});

describe("normalizeDoc", () => {
  it("keeps the text of what it drops: unknown nodes, unknown marks, unsafe links and attributes", () => {
    expect(
      normalizeDoc({
        type: "doc",
        attrs: { evil: 1 },
        content: [
          { type: "callout", attrs: { html: "<b>x</b>" }, content: [{ type: "paragraph", content: [{ type: "text", text: "in callout" }] }] },
          {
            type: "paragraph",
            attrs: { style: "x" },
            content: [
              { type: "text", text: "bad link", marks: [{ type: "link", attrs: { href: "javascript:x" } }] },
              { type: "text", text: " colored", marks: [{ type: "textStyle", attrs: { color: "red" } }, { type: "bold", attrs: { x: 1 } }] },
              { type: "mention", attrs: { id: "u1" }, content: [{ type: "text", text: " @ann" }] },
            ],
          },
        ],
      }),
    ).toEqual({
      type: "doc",
      content: [
        { type: "paragraph", content: [{ type: "text", text: "in callout" }] },
        {
          type: "paragraph",
          content: [
            { type: "text", text: "bad link" },
            { type: "text", text: " colored", marks: [{ type: "bold" }] },
            { type: "text", text: " @ann" },
          ],
        },
      ],
    });
  });

  it("repairs structure: text at block level, list children, empty containers, heading levels, code marks", () => {
    expect(
      normalizeDoc({
        type: "doc",
        content: [
          { type: "text", text: "loose " },
          { type: "hardBreak" },
          { type: "bulletList", content: [{ type: "paragraph", content: [{ type: "text", text: "not an item" }] }, { type: "bulletList", content: [{ type: "listItem", content: [] }] }] },
          { type: "orderedList", attrs: { start: "7", type: "a" }, content: [] },
          { type: "blockquote" },
          { type: "heading", attrs: { level: 9 }, content: [{ type: "paragraph", content: [{ type: "text", text: "h" }] }] },
          { type: "paragraph", content: [{ type: "text", text: "c", marks: [{ type: "bold" }, { type: "code" }] }, { type: "text", text: "" }, { type: "image", attrs: { src: "https://x.com/a.png" } }] },
          { type: "codeBlock", attrs: { language: "js" }, content: [{ type: "text", text: "a", marks: [{ type: "bold" }] }, { type: "hardBreak" }, { type: "text", text: "b" }] },
        ],
      }),
    ).toEqual({
      type: "doc",
      content: [
        { type: "paragraph", content: [{ type: "text", text: "loose " }, { type: "hardBreak" }] },
        {
          type: "bulletList",
          content: [
            {
              type: "listItem",
              content: [
                { type: "paragraph", content: [{ type: "text", text: "not an item" }] },
                { type: "bulletList", content: [{ type: "listItem", content: [{ type: "paragraph" }] }] },
              ],
            },
          ],
        },
        { type: "blockquote", content: [{ type: "paragraph" }] },
        { type: "heading", attrs: { level: 4 }, content: [{ type: "text", text: "h" }] },
        { type: "paragraph", content: [{ type: "text", text: "c", marks: [{ type: "code" }] }] },
        { type: "codeBlock", attrs: { language: "js" }, content: [{ type: "text", text: "a\nb" }] },
      ],
    });
  });

  it("turns anything into a valid document of the schema (random garbage)", () => {
    const types = [...Object.values(NODE), "unknown", "script", 42, null];
    const marks = [...Object.values(MARK), "textStyle", null];
    for (let seed = 1; seed <= 300; seed++) {
      const rnd = rng(seed);
      const pick = <T,>(a: T[]) => a[Math.floor(rnd() * a.length)];
      const node = (depth: number): unknown => {
        if (rnd() < 0.05) return pick([null, 1, "x", [], {}]);
        const n: Record<string, unknown> = { type: pick(types) };
        if (rnd() < 0.5) n.text = pick(["a", "", "<script>", 5]);
        if (rnd() < 0.4) n.attrs = { level: pick([1, 7, "2", null]), href: pick(["https://x.com", "javascript:x"]), src: pick(["https://x.com/a.png", "data:x"]), start: pick([3, -1, "x"]) };
        if (rnd() < 0.4) n.marks = Array.from({ length: 3 }, () => ({ type: pick(marks), attrs: { href: pick(["/a", "javascript:x"]) } }));
        if (depth < 6 && rnd() < 0.7) n.content = Array.from({ length: Math.floor(rnd() * 4) }, () => node(depth + 1));
        return n;
      };
      const out = normalizeDoc({ type: "doc", content: [node(0), node(0)] });
      expect(() => docSchema().nodeFromJSON(out).check()).not.toThrow();
      expect(normalizeDoc(out)).toEqual(out); // idempotent
    }
  });

  it("never throws on non-documents", () => {
    for (const x of [null, undefined, 1, "doc", [], { type: "doc", content: "x" }, { content: [{ type: "text", text: "t" }] }]) {
      expect(() => normalizeDoc(x)).not.toThrow();
    }
    expect(normalizeDoc(null)).toEqual(emptyDoc());
  });
});

describe("stored text", () => {
  it("parseDocText(stringifyDoc(doc)) is the document; non-documents are null", () => {
    const d = normalizeDoc({ type: "doc", content: [{ type: "paragraph", content: [{ type: "text", text: "x" }] }] });
    expect(parseDocText(stringifyDoc(d))).toEqual(d);
    expect(parseDocText("{")).toBeNull();
    expect(parseDocText("[]")).toBeNull();
    expect(parseDocText('{"type":"paragraph"}')).toBeNull();
  });
});
