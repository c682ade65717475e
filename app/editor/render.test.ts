import type { JSONContent } from "@tiptap/core";
import sanitizeHtml from "sanitize-html";
import { describe, expect, it } from "vitest";
import { RICH_DOC } from "./__fixtures__/rich-doc";
import { normalizeDoc } from "./doc";
import { htmlToDoc, markdownToDoc } from "./markdown";
import { docToSafeHtml, READER_TAGS, renderDocHtml, sanitizeReaderHtml } from "./render";
import { safeImageSrc, safeLinkHref } from "./urls";

// ---------------------------------------------------------------------------------------------
// Precise checks on rendered HTML: parse it and look at every element and attribute.

const ALLOWED_ATTRS: Record<string, string[]> = { a: ["href", "title", "rel"], img: ["src", "alt", "title"], ol: ["start"], code: ["class"] };

function elements(html: string): Array<{ tag: string; attribs: Record<string, string> }> {
  const out: Array<{ tag: string; attribs: Record<string, string> }> = [];
  // sanitize-html as a parser (htmlparser2, entities decoded): allow everything, record every tag.
  // Its output is thrown away, so allowing <script>/<style> is what we want (they must reach
  // onOpenTag and fail the allowlist check); saying so stops its "vulnerable tags" warning.
  sanitizeHtml(html, { allowedTags: false, allowedAttributes: false, allowVulnerableTags: true, onOpenTag: (tag, attribs) => out.push({ tag, attribs }) });
  return out;
}

/** Fails when the HTML holds anything executable; every tag and attribute must be in the schema's allowlist. */
function expectSafe(html: string) {
  for (const { tag, attribs } of elements(html)) {
    expect(READER_TAGS as readonly string[], `tag <${tag}> in ${html}`).toContain(tag);
    for (const [name, value] of Object.entries(attribs)) {
      expect(ALLOWED_ATTRS[tag] ?? [], `attribute ${name} on <${tag}> in ${html}`).toContain(name);
      if (name === "href") expect(safeLinkHref(value), `href ${value}`).toBe(value);
      if (name === "src") expect(safeImageSrc(value), `src ${value}`).toBe(value);
      if (name === "class") expect(value).toMatch(/^language-[a-z0-9][a-z0-9+#._-]*$/i);
      if (name === "rel") expect(value).toBe("noopener noreferrer nofollow");
      if (name === "start") expect(value).toMatch(/^\d+$/);
    }
  }
  // The same on the raw markup: every literal "<" in sanitized output starts a real tag (text is
  // escaped), so the tags are exactly these matches.
  const tags = html.match(/<[^>]*>/g) ?? [];
  for (const t of tags) {
    // Attribute names and tag names, outside quoted values (a title may say "onclick=").
    const bare = t.replace(/"[^"]*"/g, '""');
    expect(bare).not.toMatch(/^<\/?(script|iframe|svg|math|object|embed|style|form|button|input|base|meta|link|noscript|template|video|audio|source|details|body)\b/i);
    expect(bare).not.toMatch(/\son[a-z]+\s*=/i);
    expect(bare).not.toMatch(/\s(style|formaction|srcdoc|xlink:href|srcset|action|background|dynsrc|lowsrc)\s*=/i);
    expect(t).not.toMatch(/\s(href|src)\s*=\s*"\s*(javascript|vbscript|data)\s*:/i);
    expect(t).not.toMatch(/\s(href|src)\s*=\s*"\s*[/\\]{2}/i);
  }
  // Sanitizing again changes nothing (no mutation-XSS foothold).
  expect(sanitizeReaderHtml(html)).toBe(html);
}

/** The text a reader sees (tags removed, entities decoded). */
function visibleText(html: string): string {
  return sanitizeHtml(html, { allowedTags: [], allowedAttributes: {} })
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&");
}

const doc = (...content: JSONContent[]): JSONContent => ({ type: "doc", content });
const p = (...content: unknown[]) => ({ type: "paragraph", content }) as JSONContent;
const linked = (href: unknown, text = "KEEP", extra: Record<string, unknown> = {}) =>
  p({ type: "text", text, marks: [{ type: "link", attrs: { href, ...extra } }] });
const image = (attrs: Record<string, unknown>) => ({ type: "image", attrs }) as JSONContent;

// ---------------------------------------------------------------------------------------------
// Payloads (OWASP XSS filter evasion cheat sheet and friends), each with text that must survive.

const STORED: Array<[string, JSONContent, string]> = [
  ["javascript: link", doc(linked("javascript:alert(1)")), "KEEP"],
  ["mixed-case JaVaScRiPt: link", doc(linked("JaVaScRiPt:alert(1)")), "KEEP"],
  ["entity-encoded javascript: link", doc(linked("&#106;avascript:alert(1)")), "KEEP"],
  ["hex-entity javascript: link", doc(linked("&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)")), "KEEP"],
  ["tab-obfuscated java\\tscript: link", doc(linked("java\tscript:alert(1)")), "KEEP"],
  ["newline-obfuscated java\\nscript: link", doc(linked("java\nscript:alert(1)")), "KEEP"],
  ["control character before javascript:", doc(linked("\u0001javascript:alert(1)")), "KEEP"],
  ["leading space before javascript:", doc(linked("  javascript:alert(1)")), "KEEP"],
  ["data:text/html link", doc(linked("data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==")), "KEEP"],
  ["vbscript: link", doc(linked("vbscript:msgbox(1)")), "KEEP"],
  ["protocol-relative link", doc(linked("//evil.example/")), "KEEP"],
  ["backslash protocol-relative link", doc(linked("/\\evil.example/")), "KEEP"],
  ["non-string href", doc(linked({ toString: "javascript:alert(1)" }), linked(["javascript:alert(1)"], "KEEP2")), "KEEP2"],
  ["javascript: image src", doc(image({ src: "javascript:alert(1)", alt: "x" }), p({ type: "text", text: "KEEP" })), "KEEP"],
  ["data:image/svg+xml image src", doc(image({ src: "data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+" }), p({ type: "text", text: "KEEP" })), "KEEP"],
  ["protocol-relative image src", doc(image({ src: "//evil.example/x.png" }), p({ type: "text", text: "KEEP" })), "KEEP"],
  [
    "onerror / onload / style / srcdoc / formaction smuggled into image attrs",
    doc(image({ src: "https://img.example/x.png", onerror: "alert(1)", onload: "alert(1)", style: "width:expression(alert(1))", srcdoc: "<script>alert(1)</script>", formaction: "javascript:alert(1)", alt: "KEEP" })),
    "",
  ],
  ["attribute breakout in alt", doc(image({ src: "https://img.example/x.png", alt: '"><script>alert(1)</script>' }), p({ type: "text", text: "KEEP" })), "KEEP"],
  ["attribute breakout in link title", doc(linked("https://ok.example", "KEEP", { title: '" onmouseover="alert(1)' })), "KEEP"],
  ["handlers, style, rel=opener, target smuggled into link attrs", doc(linked("https://ok.example", "KEEP", { onclick: "alert(1)", style: "background:url(javascript:alert(1))", rel: "opener", target: "_self", class: "evil" })), "KEEP"],
  ["code block language breakout", doc({ type: "codeBlock", attrs: { language: 'js" onmouseover="alert(1)' }, content: [{ type: "text", text: "KEEP()" }] }), "KEEP()"],
  ["ordered list start breakout", doc({ type: "orderedList", attrs: { start: '1" onclick="alert(1)' }, content: [{ type: "listItem", content: [p({ type: "text", text: "KEEP" })] }] }), "KEEP"],
  ["heading level breakout and attrs", doc({ type: "heading", attrs: { level: "1 onclick=alert(1)", onclick: "alert(1)", style: "x" }, content: [{ type: "text", text: "KEEP" }] }), "KEEP"],
  [
    "unknown node types with HTML in attrs",
    doc(
      { type: "htmlBlock", attrs: { html: "<img src=x onerror=alert(1)>" }, content: [{ type: "text", text: "KEEP" }] } as JSONContent,
      { type: "iframe", attrs: { src: "javascript:alert(1)", srcdoc: "<script>alert(1)</script>" } } as JSONContent,
      { type: "script", attrs: { src: "https://evil.example/x.js" }, content: [{ type: "text", text: "KEEP2" }] } as JSONContent,
    ),
    "KEEP KEEP2",
  ],
  ["unknown marks with styles", doc(p({ type: "text", text: "KEEP", marks: [{ type: "textStyle", attrs: { style: "width: expression(alert(1))" } }, { type: "span", attrs: { onclick: "alert(1)" } }] })), "KEEP"],
  ["svg onload as a node", doc({ type: "svg", attrs: { onload: "alert(1)" }, content: [p({ type: "text", text: "KEEP" })] } as JSONContent), "KEEP"],
];

const MARKDOWN: Array<[string, string, string]> = [
  ["javascript: link", "[KEEP](javascript:alert(1))", "KEEP"],
  ["JaVaScRiPt: link", "[KEEP](JaVaScRiPt:alert(1))", "KEEP"],
  ["entity-encoded link", "[KEEP](&#106;avascript:alert(1))", "KEEP"],
  ["tab entity link", "[KEEP](java&#x09;script:alert(1))", "KEEP"],
  ["data: image and javascript: image", "![x](data:text/html;base64,PHNjcmlwdD4=) ![y](javascript:alert(1)) KEEP", "KEEP"],
  ["javascript: autolink", "<javascript:alert(1)> KEEP", "KEEP"],
  ["reference link to javascript:", "[KEEP][r]\n\n[r]: javascript:alert(1)", "KEEP"],
  ["protocol-relative link and image", "[KEEP](//evil.example) ![i](//evil.example/x.png)", "KEEP"],
  ["raw <img onerror>", "KEEP <img src=x onerror=alert(1)>", "KEEP"],
  ["raw <svg onload>", "KEEP <svg onload=alert(1)><circle/></svg>", "KEEP"],
  ["raw <script>", "KEEP\n\n<script>alert(1)</script>", "KEEP"],
  ["raw <iframe srcdoc>", 'KEEP <iframe src="javascript:alert(1)" srcdoc="<script>alert(1)</script>"></iframe>', "KEEP"],
  ["raw link with style and handler", '<a href="https://ok.example" style="background:url(javascript:alert(1))" onclick="alert(1)">KEEP</a>', "KEEP"],
  ["formaction", '<form><button formaction="javascript:alert(1)">KEEP</button></form>', "KEEP"],
  ["title breakout", '[KEEP](https://ok.example "a\\" onmouseover=\\"alert(1)")', "KEEP"],
  ["code fence info string breakout", '```js" onmouseover="alert(1)\nKEEP\n```', "KEEP"],
  ["style expression()", '<p style="width:expression(alert(1))">KEEP</p>', "KEEP"],
  ["mXSS math/style", "KEEP <math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", "KEEP"],
  ["noscript title breakout", 'KEEP <noscript><p title="</noscript><img src=x onerror=alert(1)>">', "KEEP"],
  ["object and embed", 'KEEP <object data="javascript:alert(1)"></object><embed src="javascript:alert(1)">', "KEEP"],
];

const PASTED_HTML: Array<[string, string, string]> = [
  ["<img onerror>", "<p>KEEP<img src=x onerror=alert(1)></p>", "KEEP"],
  ["<IMG SRC=JaVaScRiPt:>", "<p>KEEP<IMG SRC=JaVaScRiPt:alert('XSS')></p>", "KEEP"],
  ["fully entity-encoded href", '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">KEEP</a>', "KEEP"],
  ["javas&#99;ript:", '<a href="javas&#99;ript:alert(1)">KEEP</a>', "KEEP"],
  ["tab and newline in href", '<a href="java&#x09;script:alert(1)">KEEP</a> <a href="java\nscript:alert(1)">KEEP2</a>', "KEEP KEEP2"],
  ["data:text/html href", '<a href="data:text/html,<script>alert(1)</script>">KEEP</a>', "KEEP"],
  ["svg xlink:href", '<p>KEEP</p><svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>', "KEEP"],
  ["iframe srcdoc", '<p>KEEP</p><iframe srcdoc="<script>alert(1)</script>"></iframe>', "KEEP"],
  ["body onload", "<body onload=alert(1)><p>KEEP</p></body>", "KEEP"],
  ["style url(javascript:)", '<div style="background-image:url(javascript:alert(1))">KEEP</div>', "KEEP"],
  ["button formaction", "<p><button formaction=javascript:alert(1)>KEEP</button></p>", "KEEP"],
  ["base href", '<base href="javascript:alert(1)//"><p><a href="/x">KEEP</a></p>', "KEEP"],
  ["meta refresh", '<meta http-equiv="refresh" content="0;url=javascript:alert(1)"><p>KEEP</p>', "KEEP"],
  ["protocol-relative link and image", '<a href="//evil.example">KEEP</a><img src="//evil.example/x.png">', "KEEP"],
  ["mXSS math/style", "<p>KEEP</p><math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", "KEEP"],
  ["template script", "<p>KEEP</p><template><script>alert(1)</script></template>", "KEEP"],
  ["details ontoggle", "<details open ontoggle=alert(1)><summary>KEEP</summary></details>", "KEEP"],
  ["video source onerror", "<p>KEEP</p><video><source onerror=alert(1)></video>", "KEEP"],
  ["handler on an allowed link", '<a href="https://ok.example" onmouseover="alert(1)">KEEP</a>', "KEEP"],
  ["code class breakout", '<pre><code class="language-js&quot; onclick=&quot;alert(1)">KEEP</code></pre>', "KEEP"],
  ["<script> in text", "<p>&lt;script&gt;alert(1)&lt;/script&gt; KEEP</p>", "<script>alert(1)</script> KEEP"],
];

/** An imported document is already clean (it is what the studio stores): schema attributes only, safe URLs. */
function expectCleanDoc(d: JSONContent) {
  expect(normalizeDoc(d)).toEqual(d);
  const walk = (n: JSONContent) => {
    for (const m of n.marks ?? []) {
      expect(Object.keys(m.attrs ?? {}).sort()).toEqual(m.type === "link" ? ["class", "href", "rel", "target", "title"] : []);
      if (m.type === "link") expect(safeLinkHref(m.attrs!.href)).toBe(m.attrs!.href);
    }
    if (n.type === "image") expect(safeImageSrc(n.attrs!.src)).toBe(n.attrs!.src);
    n.content?.forEach(walk);
  };
  walk(d);
}

function expectKept(html: string, keep: string) {
  const text = visibleText(html);
  for (const word of keep.split(" ").filter(Boolean)) expect(text).toContain(word);
}

describe("docToSafeHtml: payloads stored in the document JSON", () => {
  it.each(STORED)("%s", (_name, stored, keep) => {
    const html = docToSafeHtml(JSON.stringify(stored));
    expectSafe(html);
    expectKept(html, keep);
  });

  it("text containing <script> is escaped, not dropped", () => {
    const html = docToSafeHtml(JSON.stringify(doc(p({ type: "text", text: "<script>alert(1)</script> & <img src=x onerror=alert(1)>" }))));
    expect(html).toBe("<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt;</p>");
    expectSafe(html);
  });

  it("safe attributes survive: external links get rel, internal ones don't, languages stay", () => {
    const html = docToSafeHtml(
      JSON.stringify(
        doc(
          linked("https://ok.example/?a=1&b=2", "ext", { title: "T" }),
          linked("/about", "int"),
          linked("#notes", "frag"),
          image({ src: "/api/storage/kg2", alt: "up" }),
          { type: "codeBlock", attrs: { language: "c++" }, content: [{ type: "text", text: "x" }] },
        ),
      ),
    );
    expect(html).toBe(
      '<p><a href="https://ok.example/?a=1&amp;b=2" title="T" rel="noopener noreferrer nofollow">ext</a></p>' +
        '<p><a href="/about">int</a></p><p><a href="#notes">frag</a></p><img src="/api/storage/kg2" alt="up" />' +
        '<pre><code class="language-c++">x</code></pre>',
    );
    expectSafe(html);
  });

  it("renders the rich fixture with every element of the schema, and nothing else", () => {
    const html = docToSafeHtml(JSON.stringify(RICH_DOC));
    expectSafe(html);
    expect(new Set(elements(html).map((e) => e.tag))).toEqual(new Set(READER_TAGS));
    expect(html).toContain('<ol start="3"><li><p>Starts at three</p></li>');
    expect(html).toContain('<pre><code class="language-ts">const greet = (name: string) =&gt; `Hello, ${name}!`;');
  });

  it.each([
    ["not JSON", "<script>alert(1)</script>"],
    ["JSON null", "null"],
    ["a number", "42"],
    ["an array", '[{"type":"doc"}]'],
    ["a node that is not a doc", '{"type":"paragraph","content":[{"type":"text","text":"x"}]}'],
    ["a string", '"<img src=x onerror=alert(1)>"'],
  ])("renders %s as nothing", (_name, text) => {
    expect(docToSafeHtml(text)).toBe("");
  });

  it("survives hostile structure: 10 000 levels of nesting, text where blocks go, blocks in text", () => {
    const n = 10_000; // (too deep for JSON.stringify, so written out)
    const deep = `{"type":"doc","content":[${'{"type":"bulletList","content":[{"type":"blockquote","content":['.repeat(n)}{"type":"text","text":"bottom"}${"]}]}".repeat(n)}]}`;
    const html = docToSafeHtml(deep);
    expectSafe(html);
    expect(visibleText(html)).toContain("bottom");
    const odd = docToSafeHtml(
      JSON.stringify({ type: "doc", content: [{ type: "text", text: "loose" }, p(p({ type: "text", text: "inner" })), { type: "listItem", content: [{ type: "text", text: "item" }] }] }),
    );
    expect(odd).toBe("<p>loose</p><p>inner</p><p>item</p>");
  });

  it("renderDocHtml takes a parsed value too", () => {
    expect(renderDocHtml({ type: "doc", content: [p({ type: "text", text: "x", marks: [{ type: "bold" }] })] })).toBe("<p><strong>x</strong></p>");
  });
});

describe("payloads imported through Markdown", () => {
  it.each(MARKDOWN)("%s", (_name, md, keep) => {
    const imported = markdownToDoc(md);
    const html = docToSafeHtml(JSON.stringify(imported));
    expectSafe(html);
    expectKept(html, keep);
    expectCleanDoc(imported);
  });
});

describe("payloads pasted as HTML", () => {
  it.each(PASTED_HTML)("%s", (_name, pasted, keep) => {
    const imported = htmlToDoc(pasted);
    const html = docToSafeHtml(JSON.stringify(imported));
    expectSafe(html);
    expectKept(html, keep);
    expectCleanDoc(imported);
  });
});

describe("sanitizeReaderHtml on its own (defence in depth)", () => {
  it.each([
    ['<a href="javascript:alert(1)">x</a>', "x"],
    ['<a href="https://ok.example" onclick="alert(1)" style="color:red" target="_blank">x</a>', '<a href="https://ok.example" rel="noopener noreferrer nofollow">x</a>'],
    ["<img src=x onerror=alert(1)>", ""],
    ['<img src="https://ok.example/a.png" srcset="javascript:alert(1) 1x">', '<img src="https://ok.example/a.png" />'],
    ["<script>alert(1)</script>after", "after"],
    ['<code class="language-js hljs other">x</code>', '<code class="language-js">x</code>'],
    ['<ol start="1"><li>a</li></ol><ol start="x"><li>b</li></ol>', "<ol><li>a</li></ol><ol><li>b</li></ol>"],
  ])("%s → %s", (input, output) => {
    expect(sanitizeReaderHtml(input)).toBe(output);
  });
});

it("counts: at least 15 payloads on each path", () => {
  expect(STORED.length).toBeGreaterThanOrEqual(15);
  expect(MARKDOWN.length).toBeGreaterThanOrEqual(15);
  expect(PASTED_HTML.length).toBeGreaterThanOrEqual(15);
});

describe("the email target (newsletters, issue #15)", () => {
  const email = { baseUrl: "https://ledger.example/p/rates", imageBaseUrl: "https://files.example" };
  const EMAIL_ATTRS: Record<string, string[]> = { a: ["href", "title"], img: ["src", "alt", "title", "width"], ol: ["start"], code: ["class"] };

  it.each(STORED)("XSS: %s (email target)", (_name, stored) => {
    const html = renderDocHtml(stored, "email", email);
    for (const { tag, attribs } of elements(html)) {
      expect(READER_TAGS.filter((t) => t !== "h1") as string[], `tag <${tag}>`).toContain(tag);
      for (const [name, value] of Object.entries(attribs)) {
        expect(EMAIL_ATTRS[tag] ?? [], `attribute ${name} on <${tag}>`).toContain(name);
        // Mail has no page to be relative to: every URL is absolute http(s) (images) or mailto.
        if (name === "href") expect(value).toMatch(/^(https?:\/\/[^/\\]|mailto:)/i);
        if (name === "src") expect(value).toMatch(/^https?:\/\/[^/\\]/i);
      }
    }
  });

  it("resolves paths and fragments against the post, storage images against imageBaseUrl; h1 is h2; images have alt and width", () => {
    const html = renderDocHtml(
      doc(
        { type: "heading", attrs: { level: 1 }, content: [{ type: "text", text: "Top" }] },
        { type: "paragraph", content: [
          { type: "text", text: "about", marks: [{ type: "link", attrs: { href: "/about" } }] },
          { type: "text", text: "notes", marks: [{ type: "link", attrs: { href: "#notes" } }] },
          { type: "text", text: "mail", marks: [{ type: "link", attrs: { href: "mailto:ed@ledger.example" } }] },
        ] },
        { type: "image", attrs: { src: "/api/storage/abc" } },
      ),
      "email",
      email,
    );
    expect(html).toContain("<h2>Top</h2>");
    expect(html).not.toContain("<h1");
    expect(html).toContain('<a href="https://ledger.example/about">about</a>');
    expect(html).toContain('<a href="https://ledger.example/p/rates#notes">notes</a>');
    expect(html).toContain('<a href="mailto:ed@ledger.example">mail</a>');
    expect(html).toContain('<img src="https://files.example/api/storage/abc" alt="" width="552" />');
  });

  it("refuses a base that is not an absolute http(s) URL", () => {
    for (const baseUrl of ["/p/rates", "javascript:alert(1)", "//evil.example/", "mailto:a@b.example"]) {
      expect(() => renderDocHtml(doc(), "email", { baseUrl })).toThrow(TypeError);
    }
  });
});
