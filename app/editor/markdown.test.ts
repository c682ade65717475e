import type { JSONContent } from "@tiptap/core";
import { describe, expect, it } from "vitest";
import { RICH_DOC } from "./__fixtures__/rich-doc";
import { randomDoc, TRICKY_TEXTS } from "./__fixtures__/random-doc";
import { normalizeDoc, parseDocText, stringifyDoc } from "./doc";
import { docToMarkdown, htmlToDoc, looksLikeMarkdown, markdownToDoc, withoutEmptyParagraphs } from "./markdown";

const doc = (...content: JSONContent[]): JSONContent => ({ type: "doc", content });
const p = (...content: JSONContent[]): JSONContent => ({ type: "paragraph", content });
const text = (t: string, marks?: JSONContent["marks"]): JSONContent => (marks ? { type: "text", text: t, marks } : { type: "text", text: t });
const link = (href: string, title: string | null = null) => ({ type: "link", attrs: { href, target: null, rel: null, class: null, title } });
const li = (...content: JSONContent[]): JSONContent => ({ type: "listItem", content });

/** Editor JSON → Markdown → JSON. */
const roundTrip = (d: JSONContent) => markdownToDoc(docToMarkdown(d));

describe("the rich fixture document", () => {
  it("is canonical: normalizing it changes nothing", () => {
    expect(normalizeDoc(RICH_DOC)).toEqual(RICH_DOC);
  });

  it("JSON → stored text → JSON is the identity", () => {
    expect(JSON.parse(stringifyDoc(RICH_DOC))).toEqual(RICH_DOC);
    expect(parseDocText(stringifyDoc(RICH_DOC))).toEqual(RICH_DOC);
  });

  it("exports to idiomatic Markdown", () => {
    expect(docToMarkdown(RICH_DOC)).toBe(`# Pressroom _round_ trip

Plain, **bold**, _italic_, **_bold italic_**, ~~struck~~, \`inline code\` and a [link](https://example.com/a?b=1&c=2 "Example") with [**bold inside**](https://example.com/a?b=1&c=2 "Example").

## Second level

### Third level with \`code\`

#### Fourth level

Line one\\
line two after a hard break\\
and three.

Internal [about page](/about), a [footnote](#notes) and [mail](mailto:editor@example.com).

![A cat on a mat](https://cdn.example.com/pictures/cat.png "The cat")

![Uploaded](/api/storage/kg2abc)

\`\`\`ts
const greet = (name: string) => \`Hello, \${name}!\`;

// a blank line above
  indented();
\`\`\`

\`\`\`\`
\`\`\`
fenced inside
\`\`\`
\`\`\`\`

- First **item**

- Second item

  1. Nested one
  2. Nested two
     - Third level

- Third item

  with a second paragraph

  \`\`\`sh
  npm test
  \`\`\`

3. Starts at three
4. Four

> A quote with _emphasis_.
>
> - quoted list
>
> > nested quote

---

Characters that mean something in Markdown: \\* \\_ \\\` # > \\[x\\]\\(y) \\<b> & \\&amp; 1. \\| \\~ \\\\ and https\\://example.org

The end.
`);
  });

  it("Markdown → JSON gives the document back exactly (no formatting lost)", () => {
    expect(roundTrip(RICH_DOC)).toEqual(RICH_DOC);
  });

  it("a second round trip gives the same Markdown", () => {
    const md = docToMarkdown(RICH_DOC);
    expect(docToMarkdown(markdownToDoc(md))).toBe(md);
  });
});

describe("round trip of each supported format", () => {
  const cases: Array<[string, JSONContent]> = [
    ["heading levels 1–4", doc(...[1, 2, 3, 4].map((level) => ({ type: "heading", attrs: { level }, content: [text(`H${level}`)] })))],
    ["bold", doc(p(text("a "), text("b", [{ type: "bold" }]), text(" c")))],
    ["italic inside a word", doc(p(text("un"), text("believ", [{ type: "italic" }]), text("able")))],
    ["bold ending in punctuation before a letter", doc(p(text("foo.", [{ type: "bold" }]), text("bar")))],
    ["bold with a trailing space", doc(p(text("bold ", [{ type: "bold" }]), text("after")))],
    ["strike", doc(p(text("gone", [{ type: "strike" }])))],
    ["nested marks crossing", doc(p(text("a", [{ type: "bold" }]), text("b", [{ type: "bold" }, { type: "italic" }]), text("c", [{ type: "italic" }])))],
    ["inline code with backticks", doc(p(text("a `b` c", [{ type: "code" }]), text(" and "), text("`", [{ type: "code" }])))],
    ["inline code with spaces at both ends", doc(p(text(" x ", [{ type: "code" }])))],
    ["link with title, parentheses and ampersands", doc(p(text("l", [link("https://example.com/a_(b)?x=1&y=2", 'say "hi"')])))],
    ["link containing marks", doc(p(text("a ", [link("https://e.com")]), text("b", [link("https://e.com"), { type: "bold" }])))],
    ["two adjacent links", doc(p(text("one", [link("https://one.example")]), text("two", [link("https://two.example")])))],
    ["relative, fragment and mailto links", doc(p(text("a", [link("/x/y")]), text(" "), text("b", [link("#c")]), text(" "), text("m", [link("mailto:x@y.z")])))],
    ["image with alt and title", doc({ type: "image", attrs: { src: "https://x.com/a b.png", alt: "alt [with] *stars*", title: 'the "title"' } })],
    ["storage image", doc({ type: "image", attrs: { src: "/api/storage/k123", alt: null, title: null } })],
    ["code block with language", doc({ type: "codeBlock", attrs: { language: "python" }, content: [text("def f():\n    return '```'\n")] })],
    ["code block with tabs in a list", doc({ type: "bulletList", content: [li(p(text("x")), { type: "codeBlock", attrs: { language: "go" }, content: [text("func f() {\n\treturn\n}")] })] })],
    ["empty code block", doc({ type: "codeBlock", attrs: { language: null } })],
    ["hard breaks (also at the end and in headings)", doc(p(text("a"), { type: "hardBreak" }, text("  b")), p(text("end"), { type: "hardBreak" }), { type: "heading", attrs: { level: 2 }, content: [text("h"), { type: "hardBreak" }, text("2")] })],
    ["horizontal rule between paragraphs", doc(p(text("a")), { type: "horizontalRule" }, p(text("b")))],
    [
      "lists nested three deep, mixed",
      doc({
        type: "orderedList",
        attrs: { start: 7, type: null },
        content: [li(p(text("seven")), { type: "bulletList", content: [li(p(text("b")), { type: "orderedList", attrs: { start: 1, type: null }, content: [li(p(text("deep")))] })] })],
      }),
    ],
    ["a nested list starting at 2", doc({ type: "bulletList", content: [li(p(text("a")), { type: "orderedList", attrs: { start: 2, type: null }, content: [li(p(text("two")))] })] })],
    ["two lists in a row", doc({ type: "bulletList", content: [li(p(text("a")))] }, { type: "bulletList", content: [li(p(text("b")))] }, { type: "orderedList", attrs: { start: 1, type: null }, content: [li(p(text("c")))] }, { type: "orderedList", attrs: { start: 1, type: null }, content: [li(p(text("d")))] })],
    ["empty list item, and one with only blocks", doc({ type: "bulletList", content: [li({ type: "paragraph" }), li({ type: "paragraph" }, { type: "codeBlock", attrs: { language: null }, content: [text("x")] })] })],
    ["blockquote with list, code and a nested quote", doc({ type: "blockquote", content: [p(text("q")), { type: "bulletList", content: [li(p(text("i")))] }, { type: "codeBlock", attrs: { language: "js" }, content: [text("a\n\nb")] }, { type: "blockquote", content: [p(text("nested"))] }] })],
    ["whitespace: leading, trailing, doubled, tabs", doc(p(text("  lead and trail  ")), p(text("a  b\tc")))],
    ["text that looks like Markdown", doc(...TRICKY_TEXTS.map((t) => p(text(t))))],
  ];
  it.each(cases)("%s", (_name, d) => {
    const normalized = normalizeDoc(d);
    expect(roundTrip(normalized)).toEqual(normalized);
  });

  it("tricky text under every mark", () => {
    const marks: JSONContent["marks"][] = [[{ type: "bold" }], [{ type: "italic" }], [{ type: "strike" }], [{ type: "code" }], [link("https://e.com")]];
    for (const m of marks) {
      const d = normalizeDoc(doc(...TRICKY_TEXTS.map((t) => p(text("x"), text(t, m), text("y")))));
      expect(roundTrip(d)).toEqual(d);
    }
  });

  it("empty paragraphs are the only thing not exported (Markdown has none)", () => {
    const d = normalizeDoc(doc(p(text("a")), { type: "paragraph" }, { type: "paragraph" }, p(text("b")), { type: "paragraph" }));
    expect(docToMarkdown(d)).toBe("a\n\nb\n");
    expect(roundTrip(d)).toEqual(withoutEmptyParagraphs(d));
    expect(docToMarkdown(normalizeDoc(doc({ type: "paragraph" })))).toBe("");
    expect(markdownToDoc("")).toEqual(doc({ type: "paragraph" }));
  });

  const SEEDS = Number(process.env.ROUND_TRIP_SEEDS ?? 200);
  it(`${SEEDS} random documents survive the round trip`, async () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      // @tiptap/html closes its happy-dom windows asynchronously: let the event loop turn.
      if (seed % 50 === 0) await new Promise((r) => setTimeout(r, 0));
      const d = normalizeDoc(randomDoc(seed));
      const back = roundTrip(d);
      if (JSON.stringify(back) !== JSON.stringify(withoutEmptyParagraphs(d))) {
        throw new Error(`seed ${seed}:\n${docToMarkdown(d)}`);
      }
    }
  }, 30_000 + SEEDS * 25);
});

describe("markdownToDoc", () => {
  it("reads CommonMark and GFM", () => {
    expect(markdownToDoc("Title\n=====\n\n    indented code\n\n* star\n* list\n\n1) one\n2) two\n\n***both*** __strong__ ~~gone~~")).toEqual(
      doc(
        { type: "heading", attrs: { level: 1 }, content: [text("Title")] },
        { type: "codeBlock", attrs: { language: null }, content: [text("indented code")] },
        { type: "bulletList", content: [li(p(text("star"))), li(p(text("list")))] },
        { type: "orderedList", attrs: { start: 1, type: null }, content: [li(p(text("one"))), li(p(text("two")))] },
        p(text("both", [{ type: "bold" }, { type: "italic" }]), text(" "), text("strong", [{ type: "bold" }]), text(" "), text("gone", [{ type: "strike" }])),
      ),
    );
  });

  it("soft line breaks are spaces, GFM autolinks and reference links are links", () => {
    expect(markdownToDoc("a\nb https://x.com\n\n[ref][1]\n\n[1]: https://example.com \"T\"")).toEqual(
      doc(p(text("a b "), text("https://x.com", [link("https://x.com")])), p(text("ref", [link("https://example.com", "T")]))),
    );
  });

  it("drops what the schema has no place for and keeps the text", () => {
    expect(markdownToDoc('##### five\n\n<u>under</u> <span style="color:red">red</span> <kbd>k</kbd>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done')).toEqual(
      doc(
        { type: "heading", attrs: { level: 4 }, content: [text("five")] },
        p(text("under red k")),
        p(text("a")),
        p(text("b")),
        p(text("1")),
        p(text("2")),
        { type: "bulletList", content: [li(p(text("[x] done")))] },
      ),
    );
  });

  it("drops script and style content entirely", () => {
    expect(markdownToDoc("before\n\n<script>alert(1)</script>\n\n<style>p{}</style>\n\nafter")).toEqual(doc(p(text("before")), p(text("after"))));
  });

  it("never throws", () => {
    for (const md of ["", "\u0000", "[", "```", "<", "*".repeat(10_000), "> ".repeat(500) + "deep", "-\n".repeat(200)]) {
      expect(() => markdownToDoc(md)).not.toThrow();
    }
  });
});

describe("htmlToDoc (paste)", () => {
  it("maps pasted HTML onto the schema and drops everything else", () => {
    expect(
      htmlToDoc(
        '<h1 class="x" onclick="x()">T</h1><div>line one</div><div>line two</div><h6>six</h6>' +
          '<ul><li>a<ul><li>b</li></ul></li></ul><pre><code class="language-js hljs">x\n  y</code></pre>' +
          '<p>multiple    spaces\n and <a href="https://a.com" target="_top" class="c">a link</a> <u>u</u></p>',
      ),
    ).toEqual(
      doc(
        { type: "heading", attrs: { level: 1 }, content: [text("T")] },
        p(text("line one")),
        p(text("line two")),
        { type: "heading", attrs: { level: 4 }, content: [text("six")] },
        { type: "bulletList", content: [li(p(text("a")), { type: "bulletList", content: [li(p(text("b")))] })] },
        { type: "codeBlock", attrs: { language: "js" }, content: [text("x\n  y")] },
        p(text("multiple spaces and "), text("a link", [link("https://a.com")]), text(" u")),
      ),
    );
  });

  it("keeps word-processor formatting (Google Docs wraps everything in a normal-weight <b>)", () => {
    expect(
      htmlToDoc('<b style="font-weight:normal" id="docs-internal-guid-1"><p><span style="font-weight:700">Bold</span> <span style="font-style:italic">it</span> <span style="text-decoration:line-through">x</span> plain</p></b>'),
    ).toEqual(doc(p(text("Bold", [{ type: "bold" }]), text(" "), text("it", [{ type: "italic" }]), text(" "), text("x", [{ type: "strike" }]), text(" plain"))));
  });
});

describe("looksLikeMarkdown", () => {
  it.each([
    ["plain prose", false],
    ["a sentence with a * star", false],
    ["# Title\n\ntext", true],
    ["some **bold** words", true],
    ["- item\n- item", true],
    ["1. first", true],
    ["> quoted", true],
    ["```js\nx\n```", true],
    ["see [the docs](https://x.com)", true],
    ["`code`", true],
  ])("%j → %s", (input, expected) => {
    expect(looksLikeMarkdown(input)).toBe(expected);
  });
});
