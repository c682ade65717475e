import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { DTD_REFUSED, parseWxr } from "./wxr";
import { ImportFileError, type ImportedPost, type ParsedExport } from "./types";

const fixture = readFileSync(new URL("../../tests/fixtures/migrate/wordpress/wxr-blog.xml", import.meta.url), "utf8");
const byKey = (parsed: ParsedExport, key: string): ImportedPost => {
  const post = parsed.posts.find((p) => p.key === key);
  if (!post) throw new Error(`no post ${key}`);
  return post;
};
const refusal = (xml: string): string => {
  try {
    parseWxr(xml);
  } catch (error) {
    expect(error).toBeInstanceOf(ImportFileError);
    return (error as Error).message;
  }
  throw new Error("parseWxr accepted the file");
};
const NS = 'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/"';
const wxr = (items: string, prolog = "") =>
  `<?xml version="1.0" encoding="UTF-8"?>${prolog}<rss version="2.0" ${NS}><channel><title>T</title><link>https://blog.example.com</link><wp:wxr_version>1.2</wp:wxr_version>${items}</channel></rss>`;
const item = (id: number, inner: string) => `<item><wp:post_id>${id}</wp:post_id><wp:post_type>post</wp:post_type><wp:status>publish</wp:status>${inner}</item>`;

describe("WordPress WXR export", () => {
  const parsed = parseWxr(fixture);

  test("site, authors (login → key, email lowercased), categories and tags from the channel", () => {
    expect(parsed.source).toBe("wordpress");
    expect(parsed.site).toEqual({ title: "Garden Diaries", url: "https://www.garden.example.com" });
    expect(parsed.authors[0]).toEqual({ key: "jane", name: "Jane Gardener", email: "jane@garden.example.com", slug: "jane" });
    // dc:creator naming an author the channel does not declare still gets an author.
    expect(parsed.authors.find((a) => a.key === "guest-writer")).toEqual({ key: "guest-writer", name: "guest-writer", slug: "guest-writer" });
    expect(parsed.categories).toEqual([
      { key: "uncategorized", name: "Uncategorized", slug: "uncategorized" },
      { key: "vegetables", name: "Vegetables & Herbs", slug: "vegetables", description: "Growing food" },
    ]);
    // A tag used by an item but not declared in the channel is created from the item (percent-decoded slug).
    expect(parsed.tags).toEqual([
      { key: "tomatoes", name: "Tomatoes", slug: "tomatoes" },
      { key: "caf%c3%a9", name: "Café", slug: "café" },
    ]);
  });

  test("a published post: CDATA content passed through untouched (Gutenberg comments, shortcodes, split ]]>), dates, excerpt, terms, cover, old addresses", () => {
    const post = byKey(parsed, "41");
    expect(post.html).toContain("<!-- wp:paragraph -->\n<p>The first <strong>tomatoes</strong> of the year. Code: <code>&lt;b&gt;</code></p>");
    expect(post.html).toContain('[caption id="attachment_40" align="aligncenter" width="300"]<img src=');
    expect(post.html).toContain('[gallery ids="40,42,43"]');
    expect(post.html).toContain("[embed]https://www.youtube.com/watch?v=dQw4w9WgXcQ[/embed]");
    expect(post.html).toContain("Classic paragraph one.\nSame paragraph, new line.\n\nSecond");
    expect(post.html).toMatch(/\]\]> stays\.$/);
    expect(post).toMatchObject({
      position: 2,
      title: "First tomatoes",
      slug: "first-tomatoes",
      status: "published",
      publishedAt: Date.UTC(2019, 2, 4, 10),
      updatedAt: Date.UTC(2019, 2, 5, 8),
      paid: false,
      excerpt: "Our first harvest",
      authorKeys: ["jane"],
      categoryKey: "vegetables",
      tagKeys: ["tomatoes", "caf%c3%a9"],
      // _thumbnail_id → the attachment's URL, its alt text and caption.
      cover: { url: "https://www.garden.example.com/wp-content/uploads/2019/03/tomato-cover.jpg", alt: "Red tomatoes on the vine", caption: "Ripe, finally" },
      seoDescription: "Tomatoes, at last",
      legacyPaths: ["?p=41", "/2019/03/04/first-tomatoes/"],
      notes: ['Also in the category "Uncategorized": Pressroom keeps one category per post.'],
    });
    // Yoast's title template is not a title.
    expect(post.seoTitle).toBeUndefined();
  });

  test("a draft without post_name: slug null, no date (0000-00-00), only ?p= as old address; escaped (non-CDATA) content is decoded once", () => {
    const post = byKey(parsed, "42");
    expect(post).toMatchObject({ slug: null, status: "draft", authorKeys: ["tom"], legacyPaths: ["?p=42"] });
    expect(post.publishedAt).toBeUndefined();
    expect(post.createdAt).toBeUndefined();
    expect(post.html).toBe("<p>Escaped, not CDATA: &lt;tag&gt;</p>");
  });

  test("statuses: pending → draft, future → scheduled at post_date_gmt, private → draft with a note, page flagged, trash → not imported", () => {
    expect(byKey(parsed, "43").status).toBe("draft");
    expect(byKey(parsed, "44")).toMatchObject({ status: "scheduled", publishedAt: Date.UTC(2030, 3, 1, 7, 30), tagKeys: ["tomatoes"] });
    expect(byKey(parsed, "45")).toMatchObject({ status: "draft", notes: ["Private in WordPress: imported as a draft."] });
    expect(byKey(parsed, "45").publishedAt).toBeUndefined();
    expect(byKey(parsed, "47")).toMatchObject({ isPage: true, status: "published", legacyPaths: ["?p=47", "/about/"] });
    expect(parsed.posts.find((p) => p.key === "46")).toBeUndefined();
    expect(parsed.problems).toContainEqual({ position: 7, item: "Deleted post", message: "In the trash: not imported." });
  });

  test("paywall leak: a password-protected published post is imported as a draft, not as a public post", () => {
    const post = byKey(parsed, "48");
    expect(post.status).toBe("draft");
    expect(post.publishedAt).toBeUndefined();
    expect(post.notes).toEqual(["Password-protected in WordPress: imported as a draft."]);
  });

  test("a bad date is a bad item with its position; attachments and menu items are not posts", () => {
    expect(parsed.problems).toContainEqual({ position: 10, item: "Bad date", message: "wp:post_date_gmt is not a date." });
    expect(parsed.problems).toHaveLength(2);
    expect(parsed.posts.map((p) => p.key)).toEqual(["41", "42", "43", "44", "45", "47", "48", "51"]);
  });

  test("open redirect: a <link> on another host gives no old address (only ?p=)", () => {
    expect(byKey(parsed, "51").legacyPaths).toEqual(["?p=51"]);
  });

  test("XSS: titles and names with <script> are carried as plain text, decoded once and never turned into markup", () => {
    expect(byKey(parsed, "42").title).toBe("Draft & <script>alert('x')</script> without a name");
    expect(parsed.authors.find((a) => a.key === "tom")?.name).toBe("<script>alert(1)</script>Tom");
    // Entities are decoded exactly once: "&amp;lt;" is the text "&lt;", not a tag.
    const once = parseWxr(wxr(item(1, "<title>a &amp;lt;b&amp;gt; c</title><content:encoded>x</content:encoded>")));
    expect(once.posts[0].title).toBe("a &lt;b&gt; c");
  });
});

describe("refused files", () => {
  const dir = mkdtempSync(join(tmpdir(), "wxr-xxe-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("XXE: an external entity in WXR is refused and never read", () => {
    const secret = `top-secret-${Math.random().toString(36).slice(2)}`;
    const file = join(dir, "secret.txt");
    writeFileSync(file, secret);
    const attacks = [
      wxr(item(1, "<title>&xxe;</title><content:encoded>&xxe;</content:encoded>"), `<!DOCTYPE rss [<!ENTITY xxe SYSTEM "${pathToFileURL(file).href}">]>`),
      wxr(item(1, "<title>&xxe;</title>"), `<!DOCTYPE rss SYSTEM "${pathToFileURL(file).href}">`),
      // Lowercase and after a comment: still a declaration.
      wxr(item(1, "<title>&xxe;</title>"), `<!-- c --><!doctype rss [<!ENTITY xxe SYSTEM "${file}">]>`),
    ];
    for (const xml of attacks) {
      let message = "";
      let result: unknown = null;
      try {
        result = parseWxr(xml);
      } catch (error) {
        expect(error).toBeInstanceOf(ImportFileError);
        message = (error as Error).message;
      }
      expect(message).toBe(DTD_REFUSED);
      expect(JSON.stringify(result) + message).not.toContain(secret);
    }
  });

  test("XXE: billion laughs is refused before anything is expanded", () => {
    const levels = Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i};`.repeat(10)}">`).join("");
    const xml = wxr(item(1, "<title>&lol9;</title>"), `<!DOCTYPE rss [<!ENTITY lol0 "lol">${levels}]>`);
    const started = performance.now();
    expect(refusal(xml)).toBe(DTD_REFUSED);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  test("XXE: an entity declaration smuggled after the root is refused; the same text inside CDATA is content", () => {
    expect(refusal(wxr(item(1, '<title>x</title><!ENTITY a "b">')))).toBe(DTD_REFUSED);
    const code = parseWxr(wxr(item(1, '<title>About doctypes</title><content:encoded><![CDATA[<pre>&lt;!DOCTYPE html&gt;</pre><!DOCTYPE html><!ENTITY x "y">]]></content:encoded>')));
    expect(code.posts[0].html).toBe('<pre>&lt;!DOCTYPE html&gt;</pre><!DOCTYPE html><!ENTITY x "y">');
  });

  test("malformed and truncated XML is refused with the line", () => {
    expect(refusal(fixture.slice(0, Math.floor(fixture.length / 2)))).toMatch(/^The file is not valid XML \(line \d+: .+\)\. Is it complete\?$/);
    expect(refusal(`<?xml version="1.0"?>\n<rss>\n<channel>\n<item></channel></rss>`)).toMatch(/^The file is not valid XML \(line 4: /);
  });

  test("XML that is not a WordPress export is refused", () => {
    for (const other of ['<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>', '<rss version="2.0"><channel><title>x</title><item><title>a</title></item></channel></rss>']) {
      expect(refusal(other)).toMatch(/^This XML file is not a WordPress export \(WXR\)/);
    }
  });
});

describe("items", () => {
  test("bad items: no post id, a duplicate id, neither title nor content; the rest are imported", () => {
    const parsed = parseWxr(
      wxr(
        `<item><wp:post_type>post</wp:post_type><title>No id</title></item>` +
          item(2, "<title>One</title>") +
          item(2, "<title>Again</title>") +
          item(3, "<title></title><content:encoded><![CDATA[]]></content:encoded>") +
          item(4, "<content:encoded><![CDATA[<p>untitled</p>]]></content:encoded>"),
      ),
    );
    expect(parsed.problems.map((p) => [p.position, p.message])).toEqual([
      [1, "The item has no wp:post_id."],
      [3, "A second item with wp:post_id 2: not imported."],
      [4, "The item has neither a title nor content."],
    ]);
    expect(parsed.posts.map((p) => [p.key, p.title])).toEqual([
      ["2", "One"],
      ["4", "(Untitled)"],
    ]);
  });

  test("a published post without post_date_gmt takes pubDate; a future one without any date becomes a draft", () => {
    const parsed = parseWxr(
      wxr(
        item(1, "<title>A</title><pubDate>Mon, 04 Mar 2019 10:00:00 +0100</pubDate>") +
          `<item><wp:post_id>2</wp:post_id><wp:post_type>post</wp:post_type><wp:status>future</wp:status><title>B</title></item>`,
      ),
    );
    expect(parsed.posts[0]).toMatchObject({ status: "published", publishedAt: Date.UTC(2019, 2, 4, 9) });
    expect(parsed.posts[1]).toMatchObject({ status: "draft", notes: ["Scheduled in WordPress without a date: imported as a draft."] });
  });
});
