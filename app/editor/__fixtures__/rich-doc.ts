import type { JSONContent } from "@tiptap/core";

// A document using every node, mark and attribute of the schema, in the canonical form the editor
// stores (ProseMirror's toJSON: every attribute present).
const t = (text: string, ...marks: JSONContent["marks"][]): JSONContent =>
  marks.length && marks[0] ? { type: "text", text, marks: marks[0] } : { type: "text", text };
const link = (href: string, title: string | null = null) => ({
  type: "link",
  attrs: { href, target: null, rel: null, class: null, title },
});
const p = (...content: JSONContent[]): JSONContent => ({ type: "paragraph", content });
const li = (...content: JSONContent[]): JSONContent => ({ type: "listItem", content });

export const RICH_DOC: JSONContent = {
  type: "doc",
  content: [
    { type: "heading", attrs: { level: 1 }, content: [t("Pressroom "), t("round", [{ type: "italic" }]), t(" trip")] },
    p(
      t("Plain, "),
      t("bold", [{ type: "bold" }]),
      t(", "),
      t("italic", [{ type: "italic" }]),
      t(", "),
      t("bold italic", [{ type: "bold" }, { type: "italic" }]),
      t(", "),
      t("struck", [{ type: "strike" }]),
      t(", "),
      t("inline code", [{ type: "code" }]),
      t(" and a "),
      t("link", [link("https://example.com/a?b=1&c=2", "Example")]),
      t(" with "),
      t("bold inside", [link("https://example.com/a?b=1&c=2", "Example"), { type: "bold" }]),
      t("."),
    ),
    { type: "heading", attrs: { level: 2 }, content: [t("Second level")] },
    { type: "heading", attrs: { level: 3 }, content: [t("Third level with "), t("code", [{ type: "code" }])] },
    { type: "heading", attrs: { level: 4 }, content: [t("Fourth level")] },
    p(t("Line one"), { type: "hardBreak" }, t("line two after a hard break"), { type: "hardBreak" }, t("and three.")),
    p(
      t("Internal "),
      t("about page", [link("/about")]),
      t(", a "),
      t("footnote", [link("#notes")]),
      t(" and "),
      t("mail", [link("mailto:editor@example.com")]),
      t("."),
    ),
    {
      type: "image",
      attrs: { src: "https://cdn.example.com/pictures/cat.png", alt: "A cat on a mat", title: "The cat" },
    },
    { type: "image", attrs: { src: "/api/storage/kg2abc", alt: "Uploaded", title: null } },
    {
      type: "codeBlock",
      attrs: { language: "ts" },
      content: [{ type: "text", text: 'const greet = (name: string) => `Hello, ${name}!`;\n\n// a blank line above\n  indented();' }],
    },
    { type: "codeBlock", attrs: { language: null }, content: [{ type: "text", text: "```\nfenced inside\n```" }] },
    {
      type: "bulletList",
      content: [
        li(p(t("First "), t("item", [{ type: "bold" }]))),
        li(
          p(t("Second item")),
          {
            type: "orderedList",
            attrs: { start: 1, type: null },
            content: [
              li(p(t("Nested one"))),
              li(p(t("Nested two")), { type: "bulletList", content: [li(p(t("Third level")))] }),
            ],
          },
        ),
        li(p(t("Third item")), p(t("with a second paragraph")), {
          type: "codeBlock",
          attrs: { language: "sh" },
          content: [{ type: "text", text: "npm test" }],
        }),
      ],
    },
    {
      type: "orderedList",
      attrs: { start: 3, type: null },
      content: [li(p(t("Starts at three"))), li(p(t("Four")))],
    },
    {
      type: "blockquote",
      content: [
        p(t("A quote with "), t("emphasis", [{ type: "italic" }]), t(".")),
        { type: "bulletList", content: [li(p(t("quoted list")))] },
        { type: "blockquote", content: [p(t("nested quote"))] },
      ],
    },
    { type: "horizontalRule" },
    p(t("Characters that mean something in Markdown: * _ ` # > [x](y) <b> & &amp; 1. | ~ \\ and https://example.org")),
    p(t("The end.")),
  ],
};
