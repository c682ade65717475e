import { describe, expect, test } from "vitest";
import { normalizeDoc, RENDER_MEMO_MAX_BYTES, rememberBody, renderDocToSafeHtml, renderedBody, renderMemoBytes } from "./render.server";

// Stored documents are untrusted: these are OWASP XSS filter-evasion payloads placed where a
// TipTap document can carry them (text, link hrefs, image srcs, arbitrary attrs, unknown nodes).
// Each must come out inert; the assertions look for anything a browser would execute.

const doc = (...content: unknown[]) => JSON.stringify({ type: "doc", content });
const p = (...content: unknown[]) => ({ type: "paragraph", content });
const text = (t: string, marks?: unknown[]) => ({ type: "text", text: t, ...(marks ? { marks } : {}) });
const link = (href: string, extra: Record<string, unknown> = {}) => ({ type: "link", attrs: { href, ...extra } });

const TAGS = new Set(["p", "br", "strong", "em", "s", "u", "code", "pre", "blockquote", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "a", "img", "hr"]);
const ATTRS = new Set(["href", "src", "alt", "title", "rel", "class", "loading", "decoding", "start"]);

/**
 * Anything that could run script or load active content once the HTML is in a page: every tag in
 * the output (text is entity-escaped, so `<` only starts real tags) must be allowlisted, carry only
 * allowlisted attributes, and URLs must be http(s)/mailto or same-site paths.
 */
function expectInert(html: string) {
  const decode = (v: string) => v.replace(/&amp;/g, "&").replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">");
  for (const [, close, tag, rest] of html.matchAll(/<(\/?)([a-zA-Z0-9]+)([^>]*)>/g)) {
    expect(TAGS.has(tag), `tag <${close}${tag}>`).toBe(true);
    for (const [, name, value] of rest.matchAll(/([^\s=/]+)(?:="([^"]*)")?/g)) {
      expect(ATTRS.has(name), `attribute ${name} on <${tag}>`).toBe(true);
      if (name === "href" || name === "src") expect(decode(value ?? "")).toMatch(/^(https?:\/\/|mailto:|\/[^/\\]|#)/);
    }
  }
}

describe("renderDocToSafeHtml", () => {
  test("renders prose, marks, lists, code and images", () => {
    const html = renderDocToSafeHtml(
      doc(
        { type: "heading", attrs: { level: 2 }, content: [text("Section")] },
        p(text("Some "), text("bold", [{ type: "bold" }]), text(" and "), text("link", [link("https://example.com/a?b=1&c=2")])),
        { type: "bulletList", content: [{ type: "listItem", content: [p(text("one"))] }] },
        { type: "codeBlock", attrs: { language: "ts" }, content: [text("const a = 1 < 2;")] },
        { type: "image", attrs: { src: "https://cdn.example.com/x.png", alt: "A chart" } },
        { type: "horizontalRule" },
      ),
    );
    expect(html).toContain("<h2>Section</h2>");
    expect(html).toContain("<strong>bold</strong>");
    expect(html).toContain('<a href="https://example.com/a?b=1&amp;c=2" rel="noopener noreferrer nofollow ugc">link</a>');
    expect(html).toContain("<ul><li><p>one</p></li></ul>");
    expect(html).toContain('<pre><code class="language-ts">const a = 1 &lt; 2;</code></pre>');
    expect(html).toContain('<img src="https://cdn.example.com/x.png" alt="A chart" loading="lazy" decoding="async" />');
    expect(html).toContain("<hr />");
  });

  test("h1 in a body becomes h2: the post title is the page's only h1", () => {
    expect(renderDocToSafeHtml(doc({ type: "heading", attrs: { level: 1 }, content: [text("Big")] }))).toBe("<h2>Big</h2>");
  });

  test("<script> in text is text, never markup", () => {
    const html = renderDocToSafeHtml(doc(p(text("<script>alert(1)</script>"), text("<img src=x onerror=alert(1)>"))));
    expectInert(html);
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
  });

  test.each([
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "jav&#x09;ascript:alert(1)",
    "&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "//evil.example/x",
  ])("link href %j is dropped and the text kept", (href) => {
    const html = renderDocToSafeHtml(doc(p(text("click me", [link(href)]))));
    expectInert(html);
    expect(html).toContain("click me");
    expect(html).not.toContain("evil.example");
    expect(html).not.toMatch(/href=/);
  });

  test("link attrs beyond href (onclick, style, target) never reach the page", () => {
    const html = renderDocToSafeHtml(
      doc(p(text("x", [link("https://ok.example/", { onclick: "alert(1)", style: "position:fixed", target: "_top", class: "evil" })]))),
    );
    expectInert(html);
    expect(html).toBe('<p><a href="https://ok.example/" rel="noopener noreferrer nofollow ugc">x</a></p>');
  });

  test.each([
    [{ src: "x", onerror: "alert(1)" }],
    [{ src: "javascript:alert(1)" }],
    [{ src: "data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+" }],
    [{ src: "https://ok.example/i.png\" onerror=\"alert(1)" }],
    [{ src: "https://ok.example/i.png", style: "background:url(javascript:alert(1))", onload: "alert(1)" }],
  ])("image attrs %j are neutralized", (attrs) => {
    const html = renderDocToSafeHtml(doc({ type: "image", attrs }));
    expectInert(html);
    expect(html).not.toMatch(/ (onerror|onload|style)=/);
  });

  test("code block language cannot break out of the class attribute", () => {
    const html = renderDocToSafeHtml(doc({ type: "codeBlock", attrs: { language: 'js" onmouseover="alert(1)' }, content: [text("x")] }));
    expectInert(html);
    expect(html).toBe("<pre><code>x</code></pre>");
  });

  test("unknown nodes (iframe, script, html) are unwrapped to their text; unknown marks dropped", () => {
    const html = renderDocToSafeHtml(
      doc(
        { type: "iframe", attrs: { src: "https://evil.example" }, content: [p(text("inside"))] },
        { type: "script", content: [text("alert(1)")] },
        { type: "html", attrs: { html: "<script>alert(1)</script>" } },
        p(text("marked", [{ type: "bogus" }, { type: "textStyle", attrs: { style: "color:red" } }, { type: "italic" }])),
      ),
    );
    expectInert(html);
    expect(html).toContain("<p>inside</p>");
    expect(html).toContain("<em>marked</em>");
    expect(html).not.toContain("evil.example");
  });

  test("documents that break the schema fall back to escaped plain text", () => {
    // Text directly under doc is invalid in the schema.
    const html = renderDocToSafeHtml(JSON.stringify({ type: "doc", content: [text("<b onmouseover=alert(1)>loose</b>")] }));
    expectInert(html);
    expect(html).toContain("loose");
    expect(html).not.toContain("<b");
  });

  test("same-site links and anchors are kept", () => {
    const html = renderDocToSafeHtml(doc(p(text("a", [link("/night-desk/other")]), text("b", [link("#notes")]), text("c", [link("mailto:ed@example.com")]))));
    expectInert(html);
    expect(html).toContain('href="/night-desk/other"');
    expect(html).toContain('href="#notes"');
    expect(html).toContain('href="mailto:ed@example.com"');
  });

  test("garbage in, nothing out (never throws)", () => {
    for (const bad of ["", "not json", "null", "[]", "42", '{"type":"doc","content":"nope"}', '{"type":"doc","content":[null,1,"x"]}']) {
      expect(() => renderDocToSafeHtml(bad)).not.toThrow();
      expectInert(renderDocToSafeHtml(bad));
    }
  });

  test("normalizeDoc drops non-string text and keeps structure", () => {
    expect(normalizeDoc({ type: "doc", content: [{ type: "paragraph", content: [{ type: "text", text: 5 }, { type: "text", text: "ok" }] }] })).toEqual([
      { type: "doc", content: [{ type: "paragraph", content: [{ type: "text", text: "ok" }] }] },
    ]);
  });

  test("the bodies' memo is bounded by the bytes of HTML it holds, not by entries", () => {
    // 40 distinct bodies of ~1 MB of HTML: more than the 16 MiB bound, the newest always kept.
    const big = (i: number) => `<p>${i} ${"x".repeat(2 ** 20)}</p>`;
    for (let i = 0; i < 40; i++) {
      expect(rememberBody(`key-${i}`, big(i))).toBe(big(i));
      expect(renderedBody(`key-${i}`)).toBe(big(i));
      expect(renderMemoBytes()).toBeLessThanOrEqual(RENDER_MEMO_MAX_BYTES);
    }
    expect(renderedBody("key-0")).toBeUndefined();
    expect(renderMemoBytes()).toBeGreaterThan(RENDER_MEMO_MAX_BYTES / 2);
  });
});

describe("a body's HTML held by its content key (issue #18)", () => {
  test("renderedBody finds exactly what rememberBody kept, by that key; a key holds its first HTML", () => {
    const key = `k-${Math.random()}`;
    expect(renderedBody(key)).toBeUndefined();
    expect(rememberBody(key, "<p>one</p>")).toBe("<p>one</p>");
    expect(renderedBody(key)).toBe("<p>one</p>");
    expect(rememberBody(key, "<p>two</p>")).toBe("<p>one</p>");
  });
});
