import { describe, expect, test } from "vitest";
import { cardToHtml, escapeHtml, lexicalToHtml, mobiledocToHtml } from "./ghostContent";

const text = (t: string, format = 0) => ({ type: "extended-text", text: t, format, detail: 0, mode: "normal", style: "", version: 1 });
const para = (...children: object[]) => ({ type: "paragraph", children, direction: "ltr", format: "", indent: 0, version: 1 });
const lexical = (...children: object[]) => JSON.stringify({ root: { type: "root", children, direction: "ltr", format: "", indent: 0, version: 1 } });
const mobiledoc = (doc: { sections: unknown[]; markups?: unknown[]; atoms?: unknown[]; cards?: unknown[] }) =>
  JSON.stringify({ version: "0.3.1", markups: [], atoms: [], cards: [], ...doc });

describe("lexicalToHtml", () => {
  test("paragraphs, headings, quotes, lists, links and every text format", () => {
    const html = lexicalToHtml(
      lexical(
        { type: "heading", tag: "h2", children: [text("Title")] },
        { type: "extended-heading", tag: "h9", children: [text("bad tag falls back")] },
        para(text("b", 1), text("i", 2), text("s", 4), text("u", 8), text("c", 16), text("sub", 32), text("sup", 64), text("bi", 3)),
        para(text("line"), { type: "linebreak", version: 1 }, { type: "link", url: "https://a.example/?x=1&y=2", children: [text("go")] }),
        { type: "quote", children: [text("q")] },
        { type: "aside", children: [text("alt")] },
        { type: "list", listType: "bullet", tag: "ul", children: [{ type: "listitem", children: [text("a")] }] },
        { type: "list", listType: "number", tag: "ol", start: 4, children: [{ type: "listitem", children: [text("d")] }] },
        { type: "horizontalrule", version: 1 },
      ),
    );
    expect(html).toBe(
      "<h2>Title</h2><h2>bad tag falls back</h2>" +
        "<p><strong>b</strong><em>i</em><s>s</s><u>u</u><code>c</code><sub>sub</sub><sup>sup</sup><strong><em>bi</em></strong></p>" +
        '<p>line<br><a href="https://a.example/?x=1&amp;y=2">go</a></p>' +
        '<blockquote>q</blockquote><blockquote class="kg-blockquote-alt">alt</blockquote>' +
        '<ul><li>a</li></ul><ol start="4"><li>d</li></ol><hr>',
    );
  });

  test("Ghost cards: code, image, markdown, html, bookmark, embed, gallery, callout, toggle, button, video, file", () => {
    const html = lexicalToHtml(
      lexical(
        { type: "codeblock", code: "a < b && c", language: "js\" onclick=\"x", caption: "" },
        { type: "image", src: "https://img.example/a.png", alt: "An image", caption: "By <b>me</b>", href: "https://example.com" },
        { type: "markdown", markdown: "**md**" },
        { type: "html", html: "<section>raw</section>" },
        { type: "bookmark", url: "https://b.example/", metadata: { title: "Bookmark <title>", description: "Desc" }, caption: "" },
        { type: "embed", url: "https://www.youtube.com/watch?v=1", html: "", caption: "" },
        { type: "gallery", images: [{ src: "https://img.example/1.jpg", alt: "one" }, { src: "" }, { src: "https://img.example/2.jpg" }] },
        { type: "callout", calloutEmoji: "💡", calloutText: "<p>Note</p>" },
        { type: "toggle", heading: "Q", content: "<p>A</p>" },
        { type: "button", buttonText: "Join", buttonUrl: "https://example.com/join" },
        { type: "video", src: "https://v.example/v.mp4", fileName: "v.mp4", caption: "" },
        { type: "file", src: "https://f.example/a.pdf", fileTitle: "Report", fileCaption: "2024" },
      ),
    );
    expect(html).toContain('<pre><code class="language-jsonclickx">a &lt; b &amp;&amp; c</code></pre>');
    expect(html).toContain('<figure class="kg-card kg-image-card"><a href="https://example.com"><img src="https://img.example/a.png" alt="An image"></a><figcaption>By <b>me</b></figcaption></figure>');
    expect(html).toContain("<p><strong>md</strong></p>");
    expect(html).toContain("<section>raw</section>");
    expect(html).toContain('<a href="https://b.example/">Bookmark &lt;title&gt;</a><br>Desc');
    expect(html).toContain('<figure class="kg-card kg-embed-card"><p><a href="https://www.youtube.com/watch?v=1">https://www.youtube.com/watch?v=1</a></p></figure>');
    expect(html.match(/<img /g)).toHaveLength(3); // image card + two gallery images with a src
    expect(html).toContain('<div class="kg-callout-emoji">💡</div><div class="kg-callout-text"><p>Note</p></div>');
    expect(html).toContain('<div class="kg-toggle-heading"><h4>Q</h4></div><div class="kg-toggle-content"><p>A</p></div>');
    expect(html).toContain('<a href="https://example.com/join">Join</a>');
    expect(html).toContain('<video src="https://v.example/v.mp4" title="v.mp4"></video>');
    expect(html).toContain('<a href="https://f.example/a.pdf">Report</a><br>2024');
  });

  test("an unknown card becomes a visible note naming it, never nothing", () => {
    expect(lexicalToHtml(lexical({ type: "signup", header: "Join" }, { type: 'x"><script>' }))).toBe(
      '<p>[Ghost card "signup" not imported]</p><p>[Ghost card "x&quot;&gt;&lt;script&gt;" not imported]</p>',
    );
  });

  test("XSS: text and attribute values are escaped, so text can never become markup", () => {
    const html = lexicalToHtml(
      lexical(
        para(text("<script>alert(1)</script>"), { type: "link", url: 'https://x.example/" onmouseover="alert(1)', children: [text("<img src=x onerror=alert(1)>")] }),
        { type: "image", src: '"><script>alert(1)</script>', alt: '" onerror="alert(1)' },
      ),
    );
    expect(html).not.toContain("<script>");
    expect(html).not.toContain("<img src=x");
    expect(html).not.toMatch(/" on\w+="/);
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
  });

  test("malformed lexical throws: not JSON, no root, children not a list, a node without a type", () => {
    expect(() => lexicalToHtml("{not json")).toThrow("not valid JSON");
    expect(() => lexicalToHtml('{"foo":1}')).toThrow("no root");
    expect(() => lexicalToHtml(JSON.stringify({ root: { children: [{ type: "paragraph", children: "x" }] } }))).toThrow("malformed children");
    expect(() => lexicalToHtml(JSON.stringify({ root: { children: [{ children: [] }] } }))).toThrow("no type");
  });

  test("a hostile nesting depth is refused instead of overflowing the stack", () => {
    // Built as text: JSON.parse is not recursive, so an export can carry any depth.
    const depth = 100_000;
    const deep = `{"root":{"children":[${'{"type":"quote","children":['.repeat(depth)}${JSON.stringify(text("deep"))}${"]}".repeat(depth)}]}}`;
    expect(() => lexicalToHtml(deep)).toThrow("nested too deeply");
    let ok: object = text("fine");
    for (let i = 0; i < 20; i++) ok = { type: "list", listType: "bullet", children: [{ type: "listitem", children: [ok] }] };
    expect(lexicalToHtml(lexical(ok))).toContain("<li>fine</li>");
  });
});

describe("mobiledocToHtml", () => {
  test("markup sections, nested markups with close counts, links, soft returns, lists and image sections", () => {
    const html = mobiledocToHtml(
      mobiledoc({
        markups: [["strong"], ["a", ["href", "https://example.com/?a=1&b=2", "rel", "nofollow"]], ["script"]],
        atoms: [["soft-return", "", {}], ["mention", "@ada", {}]],
        sections: [
          [1, "h3", [[0, [], 0, "Heading"]]],
          [1, "p", [[0, [0], 0, "bold "], [0, [1], 2, "bold link"], [0, [], 0, " plain"], [1, [], 0, 0], [1, [], 0, 1], [0, [2], 1, "not a tag"]]],
          [1, "aside", [[0, [], 0, "pull"]]],
          [1, "marquee", [[0, [], 0, "unknown tag"]]],
          [3, "ol", [[[0, [], 0, "one"]], [[0, [0], 1, "two"]]]],
          [2, "https://img.example/x.png"],
        ],
      }),
    );
    expect(html).toBe(
      "<h3>Heading</h3>" +
        '<p><strong>bold <a href="https://example.com/?a=1&amp;b=2">bold link</a></strong> plain<br>@adanot a tag</p>' +
        '<blockquote class="kg-blockquote-alt">pull</blockquote><p>unknown tag</p>' +
        "<ol><li>one</li><li><strong>two</strong></li></ol>" +
        '<img src="https://img.example/x.png" alt="">',
    );
  });

  test("cards: markdown (also Ghost 1's card-markdown), html, image, hr, code, unknown", () => {
    const html = mobiledocToHtml(
      mobiledoc({
        cards: [
          ["card-markdown", { markdown: "# Old\n\ntext" }],
          ["html", { html: "<p>raw</p>" }],
          ["image", { src: "/content/images/a.jpg", alt: "a", caption: "cap" }],
          ["hr", {}],
          ["code", { code: "<b>", language: "html" }],
          ["nft", { url: "https://opensea.example" }],
        ],
        sections: [[10, 0], [10, 1], [10, 2], [10, 3], [10, 4], [10, 5]],
      }),
    );
    expect(html).toContain("<h1>Old</h1>");
    expect(html).toContain("<p>raw</p>");
    expect(html).toContain('<img src="/content/images/a.jpg" alt="a"><figcaption>cap</figcaption>');
    expect(html).toContain("<hr>");
    expect(html).toContain('<pre><code class="language-html">&lt;b&gt;</code></pre>');
    expect(html).toContain('<p>[Ghost card "nft" not imported]</p>');
  });

  test("XSS: text markers and atom values are escaped", () => {
    const html = mobiledocToHtml(
      mobiledoc({ atoms: [["mention", "<img src=x onerror=alert(1)>", {}]], sections: [[1, "p", [[0, [], 0, "<script>x</script>"], [1, [], 0, 0]]]] }),
    );
    expect(html).toBe("<p>&lt;script&gt;x&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;</p>");
  });

  test("malformed mobiledoc throws: not JSON, no sections, a missing card, markup or atom, an unknown section type", () => {
    expect(() => mobiledocToHtml('{"version":"0.3.1","sections":[[1,"p"')).toThrow("not valid JSON");
    expect(() => mobiledocToHtml("{}")).toThrow("no sections");
    expect(() => mobiledocToHtml(mobiledoc({ sections: [[10, 3]] }))).toThrow("missing card 3");
    expect(() => mobiledocToHtml(mobiledoc({ sections: [[1, "p", [[0, [7], 0, "x"]]]] }))).toThrow("missing markup 7");
    expect(() => mobiledocToHtml(mobiledoc({ sections: [[1, "p", [[1, [], 0, 2]]]] }))).toThrow("missing atom 2");
    expect(() => mobiledocToHtml(mobiledoc({ sections: [[42]] }))).toThrow("unknown section type 42");
  });
});

test("escapeHtml escapes both quotes, angle brackets and ampersands", () => {
  expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe("&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
});

test("a card without what it needs renders nothing rather than an empty element", () => {
  expect(cardToHtml("image", {})).toBe("");
  expect(cardToHtml("bookmark", {})).toBe("");
  expect(cardToHtml("button", { buttonText: "x" })).toBe("");
});
