import { describe, expect, test } from "vitest";
import { AUTO_EXCERPT_MAX, autoExcerpt, excerptBlocks, excerptSource, excerptSourceOf, paidTeaser, publicExcerpt, type DocNode } from "./content";

// The automatic teaser of a featured post is public (cards, feeds, Open Graph, JSON-LD, search)
// while its body is paid, so it must never give the post away.

const words = (n: number, prefix = "w") => Array.from({ length: n }, (_, i) => `${prefix}${i}`).join(" ");

/** The properties every paid teaser has, whatever the text. */
function expectSafeTeaser(text: string, teaser: string) {
  // The blocks as teasers show them (a period after a heading or list item): the same words.
  const paragraphs = excerptBlocks(text);
  const whole = paragraphs.join(" ");
  expect(teaser.length, "at most 220 characters").toBeLessThanOrEqual(AUTO_EXCERPT_MAX);
  expect(teaser.length, "at most a third of the text").toBeLessThanOrEqual(Math.floor(whole.length / 3));
  if (!teaser) return;
  expect(teaser.endsWith("…")).toBe(true);
  const shown = teaser.slice(0, -1);
  expect(whole.startsWith(shown), "a prefix of the text").toBe(true);
  // Cut at a word: the next character of the text is a space (or punctuation we trimmed before one).
  expect(whole.slice(shown.length)).toMatch(/^[\s,;:.—-]*\s/);
  expect(shown).not.toBe(whole);
  const last = paragraphs[paragraphs.length - 1];
  if (paragraphs.length > 1) {
    // Nothing of the last paragraph, not even its first word.
    const beforeLast = paragraphs.slice(0, -1).join(" ");
    expect(shown.length, "ends before the last paragraph").toBeLessThanOrEqual(beforeLast.length);
  } else {
    expect(shown.length).toBeLessThan(last.length);
  }
}

describe("paywall leak: automatic teaser of a featured post", () => {
  test("a short one-paragraph post gets at most a third of it, cut at a word (the old excerpt was the whole post)", () => {
    const text = "The council quietly moved the reserve into the general fund last Tuesday night.";
    expect(autoExcerpt(text)).toBe(text); // what free posts (and, before, featured ones) get
    const teaser = paidTeaser(text);
    expectSafeTeaser(text, teaser);
    // 80 characters: a third is 26, so 25 characters of words and the ellipsis.
    expect(teaser).toBe("The council quietly moved…");
  });

  test("a very short post, or one with no word boundary in its first third, gets no teaser", () => {
    expect(paidTeaser("Secret.")).toBe("");
    expect(paidTeaser("Supercalifragilisticexpialidocious secret")).toBe("");
    expect(paidTeaser("")).toBe("");
    expect(paidTeaser("\n\n  \n")).toBe("");
  });

  test("never includes the last paragraph: a short opening paragraph is the whole teaser", () => {
    const text = `A short opening.\n\n${words(30, "paid")}`;
    const teaser = paidTeaser(text);
    expect(teaser).toBe("A short opening…");
    expectSafeTeaser(text, teaser);
  });

  test("two paragraphs whose first is long: cut inside the first, at most a third of all", () => {
    const text = `${words(40, "open")}\n\n${words(5, "end")}`;
    const teaser = paidTeaser(text);
    expectSafeTeaser(text, teaser);
    expect(teaser).not.toContain("end0");
    expect(teaser.length).toBeGreaterThan(20);
  });

  test("a long post is capped at 220 characters", () => {
    const text = [words(80, "a"), words(80, "b"), words(80, "c")].join("\n\n");
    const teaser = paidTeaser(text);
    expectSafeTeaser(text, teaser);
    expect(teaser.length).toBeGreaterThan(150);
  });

  test.each([
    ["one word", "Word"],
    ["hard breaks", "Line one\nline two\nline three and a bit more text here"],
    ["headings and lists", "Heading\n\nitem one\n\nitem two\n\nThe final paid paragraph with the punchline."],
    ["punctuation at the cut", "First, second; third: fourth — fifth. Sixth seventh eighth ninth tenth eleventh twelfth."],
    ["emoji and accents", "😀 é 中文 ".repeat(40)],
    ["one long paragraph", words(500)],
    ["many tiny paragraphs", Array.from({ length: 50 }, (_, i) => `p${i}`).join("\n\n")],
  ])("properties hold: %s", (_name, text) => {
    expectSafeTeaser(text, paidTeaser(text));
  });

  test("properties hold over generated texts", () => {
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let i = 0; i < 300; i++) {
      const paragraphs = Array.from({ length: 1 + rand(5) }, () => words(1 + rand(60), String.fromCharCode(97 + rand(26))));
      const text = paragraphs.join("\n\n");
      expectSafeTeaser(text, paidTeaser(text));
    }
  });
});

describe("publicExcerpt: the one rule for what readers see", () => {
  const text = `Opening paragraph here.\n\n${words(10, "paid")}`;
  test("the author's excerpt wins, for free and featured posts", () => {
    expect(publicExcerpt(true, "  Written by hand  ", text)).toBe("Written by hand");
    expect(publicExcerpt(false, "Written by hand", text)).toBe("Written by hand");
  });
  test("without one: free posts get the plain automatic excerpt, featured posts the paid teaser", () => {
    expect(publicExcerpt(false, undefined, text)).toBe(autoExcerpt(text));
    expect(publicExcerpt(true, undefined, text)).toBe(paidTeaser(text));
    expect(publicExcerpt(true, "   ", text)).toBe(paidTeaser(text));
  });
});

describe("automatic excerpts read well (issue #16 item 2)", () => {
  const doc = (...content: DocNode[]): DocNode => ({ type: "doc", content });
  const p = (text: string): DocNode => ({ type: "paragraph", content: [{ type: "text", text }] });
  const h = (text: string): DocNode => ({ type: "heading", attrs: { level: 2 }, content: [{ type: "text", text }] });
  const list = (...items: string[]): DocNode => ({ type: "bulletList", content: items.map((t) => ({ type: "listItem", content: [p(t)] })) });

  test("blocks are joined as sentences: a period after a heading or list item, one space between", () => {
    const source = excerptSource(doc(p("What the river said."), h("The thaw"), p("The ice went out"), list("a heron, unimpressed", "two geese"), p("There is more.")));
    expect(autoExcerpt(source)).toBe("What the river said. The thaw. The ice went out. a heron, unimpressed. two geese. There is more.");
  });

  test("a block that already ends a sentence (?, !, …, :, closing quote) gets no extra period", () => {
    expect(excerptBlocks("Why?\n\nBecause!\n\nWell…\n\nShe said “go.”\n\nAs follows:\n\n(an aside.)")).toEqual([
      "Why?",
      "Because!",
      "Well…",
      "She said “go.”",
      "As follows:",
      "(an aside.)",
    ]);
  });

  test("code blocks, images and rules are skipped; hard breaks and runs of whitespace become one space", () => {
    const source = excerptSource(
      doc(
        p("Before the code."),
        { type: "codeBlock", attrs: { language: "js" }, content: [{ type: "text", text: "const secret = 1;" }] },
        { type: "image", attrs: { src: "https://example.com/a.png", alt: "A picture" } },
        { type: "horizontalRule" },
        { type: "paragraph", content: [{ type: "text", text: "Line one" }, { type: "hardBreak" }, { type: "text", text: "line   two\tend." }] },
        { type: "blockquote", content: [p("Quoted words")] },
      ),
    );
    expect(source).toBe("Before the code.\n\nLine one line two end.\n\nQuoted words");
    expect(autoExcerpt(source)).toBe("Before the code. Line one line two end. Quoted words.");
    expect(autoExcerpt(source)).not.toContain("secret");
    expect(autoExcerpt(source)).not.toContain("A picture");
  });

  test("a long text is cut at a word boundary with an ellipsis, trailing punctuation dropped", () => {
    const text = `${"alpha beta, gamma. ".repeat(20)}`;
    const excerpt = autoExcerpt(text, 50);
    expect(excerpt.endsWith("…")).toBe(true);
    const shown = excerpt.slice(0, -1);
    expect(shown.length).toBeLessThanOrEqual(50);
    expect(text.startsWith(shown)).toBe(true);
    expect(text.slice(shown.length)).toMatch(/^[,.]? /); // the next character ends a word
    expect(shown).not.toMatch(/[,.\s]$/);
  });

  test("never cuts inside a surrogate pair, even in a long run with no space", () => {
    const text = "😀".repeat(200);
    for (const max of [49, 50, 51, 220]) {
      const excerpt = autoExcerpt(text, max);
      expect(excerpt.endsWith("…")).toBe(true);
      const shown = excerpt.slice(0, -1);
      expect(shown.length).toBeLessThanOrEqual(max);
      expect(shown, `max ${max}`).toMatch(/^(😀)+$/u);
    }
  });

  test("excerptSourceOf reads stored JSON and gives '' for anything else", () => {
    expect(excerptSourceOf(JSON.stringify(doc(h("Title"), p("Body text"))))).toBe("Title\n\nBody text");
    expect(excerptSourceOf("not json")).toBe("");
    expect(excerptSourceOf('{"type":42}')).toBe("");
  });

  test("a paid teaser reads as sentences too and still stops before the last paragraph", () => {
    const text = `A heading\n\n${"words and more words ".repeat(10)}\n\nThe paid punchline.`;
    const teaser = paidTeaser(text);
    expect(teaser.startsWith("A heading. words")).toBe(true);
    expect(teaser).not.toContain("punchline");
  });
});
