import { ConvexError } from "convex/values";
import { describe, expect, test } from "vitest";
import { escapeHtml } from "./layout";
import { fillPostEmail, renderPostEmail, renderPostEmailTemplate, type FullPost, type PostEmailInput, type TeaserPost } from "./postEmail";

// Post emails (issue #15): email-safe HTML and text from the one renderer, the paywall in email,
// RFC 8058 headers, escaping of everything an author or site owner types.

type Node = { type: string; text?: string; attrs?: Record<string, unknown>; marks?: unknown[]; content?: Node[] };
const text = (t: string, marks?: unknown[]): Node => ({ type: "text", text: t, ...(marks ? { marks } : {}) });
const p = (...content: Node[]): Node => ({ type: "paragraph", content });
const h = (level: number, t: string): Node => ({ type: "heading", attrs: { level }, content: [text(t)] });
const doc = (...content: Node[]) => ({ type: "doc", content });
const link = (href: string) => [{ type: "link", attrs: { href } }];

const site = { name: "The Ledger", url: "https://ledger.example", accentColor: "#1a73e8", logoUrl: "https://cdn.example/logo.png" };
const classLinks = { post: "https://ledger.example/p/rates", upgrade: "https://ledger.example/subscribe?plan=paid" };
const recipient = { unsubscribe: "https://ledger.example/u/tok-A?sig=1&x=2", oneClick: "https://api.ledger.example/unsubscribe?token=tok-A", preferences: "https://ledger.example/prefs/tok-A" };
const base = { title: "Interest rates, explained", subtitle: "What the bank did", authorName: "Ada Byron", publishedAt: Date.UTC(2026, 11, 6), featured: true };

function full(post: Partial<FullPost> & { doc: unknown }, extra: Partial<PostEmailInput> = {}) {
  return renderPostEmail({ site, access: "full", post: { ...base, excerpt: "Teaser.", ...post }, links: { ...classLinks, ...recipient }, ...extra } as PostEmailInput);
}
function teaser(post: Partial<TeaserPost> & { excerpt: string }) {
  return renderPostEmail({ site, access: "teaser", post: { ...base, ...post }, links: { ...classLinks, ...recipient } });
}
function errorOf(fn: () => unknown): { code?: string; field?: string } {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConvexError) return e.data as { code: string; field?: string };
    throw e;
  }
  throw new Error("expected a ConvexError");
}
/**
 * Every element, attribute name and URL a browser would see in `html`. A double-quoted value ends
 * at the next `"`, so this reads attributes as a parser does; every "<letter" must be such a tag.
 */
function markupOf(html: string): { tags: string[]; attributes: string[]; urls: string[] } {
  const out = { tags: [] as string[], attributes: [] as string[], urls: [] as string[] };
  const tagRe = /<([a-zA-Z][a-zA-Z0-9]*)((?:\s+[^\s"'>/=]+(?:\s*=\s*"[^"]*")?)*)\s*\/?>/g;
  for (const m of html.matchAll(tagRe)) {
    out.tags.push(m[1].toLowerCase());
    for (const a of m[2].matchAll(/([^\s"'>/=]+)(?:\s*=\s*"([^"]*)")?/g)) {
      out.attributes.push(a[1].toLowerCase());
      if (a[1] === "href" || a[1] === "src") out.urls.push(a[2] ?? "");
    }
  }
  expect(out.tags.length).toBe((html.match(/<[a-zA-Z]/g) ?? []).length);
  return out;
}
function expectNoActiveContent(html: string) {
  const m = markupOf(html);
  expect(m.tags.filter((t) => ["script", "iframe", "object", "embed", "svg", "style", "form"].includes(t))).toEqual([]);
  expect(m.attributes.filter((a) => a.startsWith("on"))).toEqual([]);
  expect(m.urls.filter((u) => !/^(https?:\/\/|mailto:)/i.test(u))).toEqual([]);
}

/** Every sentence of every text node of a document. */
function sentencesOf(node: Node, out: string[] = []): string[] {
  if (node.text) out.push(...node.text.split(/(?<=[.!?])\s+/).map((s) => s.trim()).filter((s) => s.length > 3));
  for (const c of node.content ?? []) sentencesOf(c, out);
  return out;
}

const RICH = doc(
  h(1, "A heading in the body"),
  p(text("Rates went up. "), text("Read the minutes", link("/minutes")), text(" or "), text("the notes", link("#notes")), text(".")),
  { type: "image", attrs: { src: "/api/storage/abc123", alt: "Chart of rates" } },
  { type: "bulletList", content: [{ type: "listItem", content: [p(text("First point."))] }] },
);

describe("renderPostEmail: email-safe HTML", () => {
  test("table layout with inlined CSS: no <style> block, no flex or grid, widths and bgcolor on tables", () => {
    const { html } = full({ doc: RICH });
    expect(html).not.toMatch(/<style/i);
    expect(html).not.toMatch(/display:\s*(flex|grid)/i);
    expect(html).toMatch(/<table[^>]*class="container"[^>]*width="600"/);
    expect(html).toMatch(/<table[^>]*bgcolor="#ffffff"/);
    // Every paragraph and heading of the content carries its own style.
    for (const tag of html.match(/<(p|h1|h2)\b[^>]*>/g) ?? []) expect(tag).toMatch(/style="/);
  });

  test("the body comes from the one renderer's email target: h1 becomes h2, links and images absolute", () => {
    const { html } = full({ doc: RICH });
    expect(html).toMatch(/<h2[^>]*>A heading in the body<\/h2>/);
    expect(html).toContain('href="https://ledger.example/minutes"');
    expect(html).toContain('href="https://ledger.example/p/rates#notes"');
    expect(html).toMatch(/<img src="https:\/\/ledger\.example\/api\/storage\/abc123" alt="Chart of rates" width="552"/);
    expect(html).not.toMatch(/ rel=|loading=/);
  });

  test("image paths resolve against imageBaseUrl when given", () => {
    const input = { site, access: "full" as const, post: { ...base, excerpt: "", doc: RICH }, links: { ...classLinks, ...recipient } };
    const { html } = renderPostEmail(input, { imageBaseUrl: "https://files.example" });
    expect(html).toContain('src="https://files.example/api/storage/abc123"');
  });

  test("the stored document text (postBodies.doc) renders like the JSON", () => {
    expect(full({ doc: JSON.stringify(RICH) }).html).toContain("Rates went up.");
  });

  test("site branding: name, logo with width and alt, accent colour on links", () => {
    const { html } = full({ doc: RICH });
    expect(html).toMatch(/<img class="logo" src="https:\/\/cdn\.example\/logo\.png" width="48" height="48" alt="The Ledger"/);
    expect(html).toMatch(/<a href="https:\/\/ledger\.example\/minutes" style="[^"]*color: #1a73e8/);
  });

  test("an accent colour that is not #rrggbb falls back to the default", () => {
    const input = { site: { ...site, accentColor: "red" }, access: "full" as const, post: { ...base, excerpt: "", doc: RICH }, links: { ...classLinks, ...recipient } };
    const { html } = renderPostEmail(input);
    expect(html).toMatch(/href="https:\/\/ledger\.example\/minutes" style="[^"]*color: #1a1a1a/);
    expect(html).not.toContain("red");
  });

  test("plain-text part: the same content, links as text (url)", () => {
    const { text: t } = full({ doc: RICH });
    expect(t).toContain("Interest rates, explained");
    expect(t).toContain("Read the minutes (https://ledger.example/minutes)");
    expect(t).toContain("First point.");
    expect(t).toContain("Unsubscribe");
    expect(t).toContain("(https://ledger.example/u/tok-A?sig=1&x=2)");
    expect(t).not.toMatch(/<[a-z]/i);
  });

  test("headers: one-click List-Unsubscribe (RFC 8058) names the oneClick URL, not the visible page, with an optional mailto", () => {
    const r = full({ doc: RICH });
    expect(r.headers).toEqual({
      "List-Unsubscribe": "<https://api.ledger.example/unsubscribe?token=tok-A>",
      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    });
    const withMail = renderPostEmail({ site, access: "full", post: { ...base, excerpt: "", doc: RICH }, links: { ...classLinks, ...recipient, unsubscribeMailto: "mailto:u+tok@ledger.example" } });
    expect(withMail.headers["List-Unsubscribe"]).toBe("<https://api.ledger.example/unsubscribe?token=tok-A>, <mailto:u+tok@ledger.example>");
    // The footer links the visible confirmation page, never the one-click POST endpoint.
    expect(r.html).toContain('href="https://ledger.example/u/tok-A?sig=1&amp;x=2"');
    expect(r.html).not.toContain("api.ledger.example/unsubscribe");
  });

  test("visible unsubscribe and preferences links in the footer, escaped in HTML", () => {
    const { html } = full({ doc: RICH });
    expect(html).toMatch(/<a href="https:\/\/ledger\.example\/u\/tok-A\?sig=1&amp;x=2"[^>]*>Unsubscribe<\/a>/);
    expect(html).toMatch(/<a href="https:\/\/ledger\.example\/prefs\/tok-A"[^>]*>Email preferences<\/a>/);
  });

  test("render once per class, fill per recipient: each copy has only its own links", () => {
    const template = renderPostEmailTemplate({ site, access: "full", post: { ...base, excerpt: "", doc: RICH }, links: classLinks });
    expect(template.html).not.toContain("tok-A");
    const a = fillPostEmail(template, recipient);
    const b = fillPostEmail(template, { unsubscribe: "https://ledger.example/u/tok-B", oneClick: "https://api.ledger.example/unsubscribe?token=tok-B", preferences: "https://ledger.example/prefs/tok-B" });
    expect(a.html).toContain("tok-A");
    expect(a.html).not.toContain("tok-B");
    expect(b.html).toContain("/u/tok-B");
    expect(b.text).toContain("/prefs/tok-B");
    expect(b.html).not.toContain(template.placeholders.unsubscribe);
    expect(b.text).not.toContain(template.placeholders.preferences);
  });

  test("forged unsubscribe link: an author cannot plant the recipient's link placeholder (random per render)", () => {
    const first = renderPostEmailTemplate({ site, access: "full", post: { ...base, excerpt: "", doc: RICH }, links: classLinks });
    const planted = doc(p(text("Click me", link(first.placeholders.unsubscribe))));
    const second = renderPostEmailTemplate({ site, access: "full", post: { ...base, excerpt: "", doc: planted }, links: classLinks });
    expect(second.placeholders.unsubscribe).not.toBe(first.placeholders.unsubscribe);
    const filled = fillPostEmail(second, recipient);
    expect(filled.html).toMatch(/<a href="https:\/\/recipient\.invalid\/unsubscribe\/[^"]+"[^>]*>Click me<\/a>/);
  });

  test("bad input is a ConvexError with a catalogue code", () => {
    expect(errorOf(() => full({ doc: undefined })).code).toBe("INVALID_ARGUMENT");
    expect(errorOf(() => full({ doc: RICH, publishedAt: Number.NaN })).code).toBe("INVALID_ARGUMENT");
    const bogus = { site, access: "everyone", post: { ...base, excerpt: "" }, links: { ...classLinks, ...recipient } } as unknown as PostEmailInput;
    expect(errorOf(() => renderPostEmail(bogus)).code).toBe("INVALID_ARGUMENT");
    const noUpgrade = { site, access: "teaser", post: { ...base, excerpt: "x" }, links: { post: classLinks.post, ...recipient } } as unknown as PostEmailInput;
    expect(errorOf(() => renderPostEmail(noUpgrade))).toMatchObject({ code: "INVALID_ARGUMENT", field: "upgrade" });
  });
});

// Bodies for the leak tests: each sentence is one the teaser must never show.
const BODIES: Array<{ name: string; doc: Node & { content: Node[] }; excerpt: (d: Node & { content: Node[] }) => string }> = [
  {
    name: "an essay with an author-written excerpt",
    doc: doc(p(text("The central bank met on Tuesday. It raised rates by half a point.")), p(text("Paid readers learn why the vote was split."))),
    excerpt: () => "Why the bank moved, and what comes next.",
  },
  {
    name: "the excerpt is the body's first paragraph",
    doc: doc(p(text("Opening paragraph anyone may read.")), p(text("Second paragraph is for paid members only. It names the sources.")), p(text("Closing words about the forecast."))),
    excerpt: (d) => d.content[0].content![0].text!,
  },
  {
    name: "headings, lists, quotes, code and links",
    doc: doc(
      h(2, "Secret section heading"),
      { type: "bulletList", content: [{ type: "listItem", content: [p(text("A listed insider detail."))] }] },
      { type: "blockquote", content: [p(text("A quoted source says the deal is done."))] },
      { type: "codeBlock", attrs: { language: "ts" }, content: [text("const paidOnly = computeForecast();")] },
      p(text("See the private dataset", link("https://data.example/private-dataset"))),
      { type: "image", attrs: { src: "https://cdn.example/secret-chart.png", alt: "Secret chart of the merger" } },
    ),
    excerpt: () => "A short public teaser.",
  },
];

describe("paywall in email", () => {
  for (const body of BODIES) {
    test(`paywall leak: a teaser shows no sentence of the body (${body.name})`, () => {
      const excerpt = body.excerpt(body.doc);
      // The full render shows the body, so the check below can tell a leak from absence.
      const paid = full({ doc: body.doc, excerpt });
      const { html, text: t } = teaser({ excerpt });
      const sentences = sentencesOf(body.doc).filter((s) => !excerpt.includes(s));
      expect(sentences.length).toBeGreaterThan(0);
      for (const s of sentences) {
        expect(paid.text.replace(/\s+/g, " ") + paid.html).toContain(escapeHtml(s).slice(0, 20));
        expect(html).not.toContain(escapeHtml(s));
        expect(html).not.toContain(s);
        expect(t.replace(/\s+/g, " ")).not.toContain(s);
      }
      for (const secret of ["private-dataset", "secret-chart", "Secret chart"]) {
        expect(html + t).not.toContain(secret);
      }
      // What a free member does get: the excerpt and a way to upgrade.
      expect(html).toContain(escapeHtml(excerpt));
      expect(html).toMatch(/<a href="https:\/\/ledger\.example\/subscribe\?plan=paid"[^>]*>Upgrade to read the whole post<\/a>/);
      expect(t).toContain("Upgrade to read the whole post (https://ledger.example/subscribe?plan=paid)");
    });
  }

  test("paywall leak: a teaser render refuses a post that carries a body (types and run time)", () => {
    const withBody = { site, access: "teaser", post: { ...base, excerpt: "x", doc: BODIES[0].doc }, links: { ...classLinks, ...recipient } } as unknown as PostEmailInput;
    expect(errorOf(() => renderPostEmail(withBody)).code).toBe("INVALID_STATE");
    // Even an explicitly empty doc key is refused: the teaser path takes no body field at all.
    const emptyKey = { site, access: "teaser", post: { ...base, excerpt: "x", doc: undefined }, links: { ...classLinks, ...recipient } } as unknown as PostEmailInput;
    expect(errorOf(() => renderPostEmail(emptyKey)).code).toBe("INVALID_STATE");
    // @ts-expect-error the type of a teaser post has no doc
    const typed: TeaserPost = { ...base, excerpt: "x", doc: BODIES[0].doc };
    expect(typed.excerpt).toBe("x");
  });
});

describe("escaping", () => {
  const hostile = `"><script>alert(1)</script><img src=x onerror=alert(2)> & 'q'`;

  test("XSS: hostile title, subtitle, author and site name are text in HTML", () => {
    const r = renderPostEmail({
      site: { ...site, name: hostile },
      access: "full",
      post: { ...base, title: hostile, subtitle: hostile, authorName: hostile, excerpt: hostile, doc: doc(p(text(hostile))) },
      links: { ...classLinks, ...recipient },
    });
    expectNoActiveContent(r.html);
    expect(r.html).toContain("&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(r.html).toMatch(/<title>&quot;&gt;&lt;script&gt;/);
    expect(r.html).toMatch(/alt="&quot;&gt;&lt;script&gt;/); // the logo's alt is the site name
    expect(r.text).toContain(`"><script>alert(1)</script>`); // text is text: shown as typed
  });

  test("XSS: hostile teaser excerpt is text in HTML", () => {
    const { html } = teaser({ excerpt: hostile });
    expectNoActiveContent(html);
  });

  test("XSS: javascript: links in the body are dropped, quotes in alt text stay inside the attribute", () => {
    const { html } = full({
      doc: doc(
        p(text("click", link("javascript:alert(1)")), text(" and "), text("this", link("java\tscript:alert(1)"))),
        { type: "image", attrs: { src: "https://cdn.example/a.png", alt: `x" onerror="alert(1)` } },
        { type: "image", attrs: { src: "javascript:alert(1)", alt: "bad" } },
      ),
    });
    expect(html).not.toMatch(/javascript:/i);
    expect(html).toMatch(/alt="x&quot; onerror=&quot;alert\(1\)"/);
    expectNoActiveContent(html);
    expect(html).toContain("click");
  });

  test("XSS: javascript:, data: and relative URLs are refused for every link the caller passes", () => {
    const bad = ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "/relative", "https://x.example/\"onmouseover=alert(1)", "//evil.example/x"];
    for (const url of bad) {
      for (const key of ["post", "upgrade", "unsubscribe", "oneClick", "preferences"] as const) {
        const links = { ...classLinks, ...recipient, [key]: url };
        expect(errorOf(() => renderPostEmail({ site, access: "teaser", post: { ...base, excerpt: "x" }, links })).code).toBe("INVALID_ARGUMENT");
      }
      expect(errorOf(() => full({ doc: RICH }, { site: { ...site, url } } as Partial<PostEmailInput>)).code).toBe("INVALID_ARGUMENT");
      expect(errorOf(() => full({ doc: RICH }, { site: { ...site, logoUrl: url } } as Partial<PostEmailInput>)).code).toBe("INVALID_ARGUMENT");
    }
  });

  test("XSS: an accent colour cannot inject CSS", () => {
    const input = { site: { ...site, accentColor: "#fff;background:url(javascript:alert(1))" }, access: "full" as const, post: { ...base, excerpt: "", doc: RICH }, links: { ...classLinks, ...recipient } };
    expect(renderPostEmail(input).html).not.toMatch(/javascript|url\(/i);
  });

  test("header injection: a title with CR/LF is one subject line; a mailto with CR/LF is refused", () => {
    const r = full({ doc: RICH, title: "Hello\r\nBcc: victim@example.com" });
    expect(r.subject).toBe("Hello Bcc: victim@example.com");
    const links = { ...classLinks, ...recipient, unsubscribeMailto: "mailto:a@b.example>\r\nBcc: x@y.example" };
    expect(errorOf(() => renderPostEmail({ site, access: "full", post: { ...base, excerpt: "", doc: RICH }, links })).code).toBe("INVALID_ARGUMENT");
  });
});
