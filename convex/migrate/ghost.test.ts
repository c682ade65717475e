import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { parseGhost } from "./ghost";
import { ImportFileError, MAX_IMPORT_POSTS, type ImportedPost, type ParsedExport } from "./types";

const fixture = (name: string) => readFileSync(new URL(`../../tests/fixtures/migrate/ghost/${name}`, import.meta.url), "utf8");
const byKey = (parsed: ParsedExport, key: string): ImportedPost => {
  const post = parsed.posts.find((p) => p.key === key);
  if (!post) throw new Error(`no post ${key}`);
  return post;
};
const refusal = (json: string): string => {
  try {
    parseGhost(json);
  } catch (error) {
    expect(error).toBeInstanceOf(ImportFileError);
    return (error as Error).message;
  }
  throw new Error("parseGhost accepted the file");
};
const minimal = (posts: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ db: [{ meta: { version: "5.0.0" }, data: { posts, users: [{ id: "u1", name: "U" }], ...extra } }] });

describe("Ghost 4 export (mobiledoc)", () => {
  const parsed = parseGhost(fixture("ghost4-mobiledoc.json"));

  test("authors, tags, no categories, and the site title", () => {
    expect(parsed.source).toBe("ghost");
    expect(parsed.site).toEqual({ title: "The Ledger" });
    expect(parsed.authors).toEqual([
      { key: "1", name: "Ada Lovelace", email: "ada@example.com", slug: "ada", bio: "Writes the ledger." },
      { key: "2", name: "Charles Babbage", email: "charles@example.com", slug: "charles" },
    ]);
    expect(parsed.tags.map((t) => [t.key, t.name, t.slug])).toEqual([
      ["t1", "News", "news"],
      ["t2", "Notes", "notes"],
    ]);
    expect(parsed.categories).toEqual([]);
  });

  test("a published post keeps its html, dates (SQLite format, UTC), excerpt, cover, tags in sort_order and /slug/ as its old address", () => {
    const post = byKey(parsed, "605f1a2b3c4d5e0001a1b001");
    expect(post).toMatchObject({
      position: 1,
      title: "Welcome to the Ledger",
      slug: "welcome",
      html: "<p>Hello <strong>world</strong></p>",
      status: "published",
      publishedAt: Date.UTC(2021, 2, 1, 12, 30),
      createdAt: Date.UTC(2021, 2, 1, 9),
      updatedAt: Date.UTC(2021, 2, 2, 10),
      paid: false,
      excerpt: "The first post.",
      authorKeys: ["1"],
      tagKeys: ["t1", "t2"],
      cover: { url: "https://images.example.com/cover.jpg" },
      legacyPaths: ["/welcome/"],
    });
    // Ghost's featured is a highlight; Pressroom's featured is the paywall: not carried, but said.
    expect(post.notes).toEqual(["Featured in Ghost: Pressroom's featured means paid-only, so it was not carried over."]);
  });

  test("html null: the body is rendered from mobiledoc; __GHOST_URL__ without a site URL becomes site-relative; paid → paid", () => {
    const post = byKey(parsed, "605f1a2b3c4d5e0001a1b002");
    expect(post.html).toContain("<h2>A heading</h2>");
    expect(post.html).toContain('<em>Read <a href="https://example.com/x">this</a></em> now<br>next line');
    expect(post.html).toContain("<p>Some <strong>markdown</strong> here</p>");
    expect(post.html).toContain('<img src="/content/images/2021/03/pic.jpg" alt="A pic">');
    expect(post.html).toContain('<p>[Ghost card "unknown-widget" not imported]</p>');
    expect(post.html).toContain("<blockquote>Quoted &lt;b&gt;not bold&lt;/b&gt;</blockquote>");
    expect(post.html).not.toContain("__GHOST_URL__");
    expect(post).toMatchObject({ status: "draft", paid: true, authorKeys: ["1"] });
    expect(post.publishedAt).toBeUndefined();
  });

  test("an older export's posts.author_id is the author when posts_authors has no row; members visibility is noted", () => {
    const post = byKey(parsed, "605f1a2b3c4d5e0001a1b003");
    expect(post.authorKeys).toEqual(["2"]);
    expect(post.paid).toBe(false);
    expect(post.notes).toEqual(["Members-only in Ghost: Pressroom has no free-members tier, so it is public."]);
  });

  test("a post whose html is null and whose mobiledoc is unparsable is a bad item with its position; the rest go on", () => {
    expect(parsed.problems).toEqual([{ position: 4, item: "Broken mobiledoc", message: "The body could not be read: the mobiledoc is not valid JSON." }]);
    expect(parsed.posts.map((p) => p.position)).toEqual([1, 2, 3]);
  });
});

describe("Ghost 5 export (lexical)", () => {
  const parsed = parseGhost(fixture("ghost5-lexical.json"));
  const post = byKey(parsed, "65b0c0ffee0000000000a001");

  test("html null: the body is rendered from lexical, cards included, and __GHOST_URL__ resolves against settings.url", () => {
    expect(parsed.site).toEqual({ title: "Ghost Five", url: "https://ghost5.example.com" });
    expect(post.html).toContain("<h3>Lexical heading</h3>");
    expect(post.html).toContain('<ol start="3"><li>first</li><li>second</li></ol>');
    expect(post.html).toContain('<img src="https://ghost5.example.com/content/images/2024/01/a.png" alt="Alt text">');
    expect(post.html).toContain('<iframe src="https://www.youtube.com/embed/abc"></iframe><figcaption>A video</figcaption>');
    expect(post.html).toContain('<p>[Ghost card "signup" not imported]</p>');
    expect(post.html).toContain("<!--members-only--><p>After the paywall</p>");
    expect(post.html).not.toContain("__GHOST_URL__");
  });

  test("tiers visibility → paid; posts_meta gives SEO and the cover's alt and caption; authors in sort_order (primary first)", () => {
    expect(post).toMatchObject({
      paid: true,
      status: "published",
      publishedAt: Date.parse("2024-01-10T09:15:00.000Z"),
      excerpt: "Everything Ghost 5 can do",
      seoTitle: "SEO title",
      seoDescription: "SEO description",
      cover: { url: "https://ghost5.example.com/content/images/2024/01/cover.png", alt: "Cover alt", caption: "Cover <em>caption</em>" },
      authorKeys: ["u1", "u2", "u3"],
    });
  });

  test("internal (#) tags are not imported and are noted on their posts; public tags stay in sort_order", () => {
    expect(parsed.tags.map((t) => t.key)).toEqual(["g1", "g3"]);
    expect(post.tagKeys).toEqual(["g1", "g3"]);
    expect(post.notes).toEqual(['Internal tag "#hero" not imported.']);
  });

  test("scheduled keeps its time; paid visibility → paid; html is used over lexical when present", () => {
    const scheduled = byKey(parsed, "65b0c0ffee0000000000a002");
    expect(scheduled).toMatchObject({ status: "scheduled", publishedAt: Date.parse("2030-06-01T07:00:00.000Z"), paid: true });
    expect(scheduled.html).toBe('<p>body with <a href="https://ghost5.example.com/other/">a link</a></p>');
  });

  test("a page is flagged isPage; an email-only (sent) post becomes a draft with a note", () => {
    expect(byKey(parsed, "65b0c0ffee0000000000a003")).toMatchObject({ isPage: true, title: "About", legacyPaths: ["/about/"] });
    const sent = byKey(parsed, "65b0c0ffee0000000000a004");
    expect(sent.status).toBe("draft");
    expect(sent.publishedAt).toBeUndefined();
    expect(sent.notes).toContain("Sent as an email only in Ghost: imported as a draft.");
  });

  test("a bad date and unparsable lexical are bad items with their positions", () => {
    expect(parsed.problems).toEqual([
      { position: 5, item: "Bad date", message: "published_at is not a date." },
      { position: 6, item: "Unparsable lexical", message: 'The body could not be read: a lexical "paragraph" node has malformed children.' },
    ]);
    expect(parsed.posts).toHaveLength(4);
  });

  test("XSS: titles and names with <script> are carried as plain text, exactly as written (never decoded into markup)", () => {
    expect(byKey(parsed, "65b0c0ffee0000000000a002").title).toBe("<script>alert('title')</script> & friends");
    expect(parsed.authors.find((a) => a.key === "u2")).toEqual({ key: "u2", name: "<img src=x onerror=alert(1)>", email: "mallory@example.com", slug: "mallory" });
    // The plain-text fields never leak into the HTML bodies.
    for (const p of parsed.posts) expect(p.html).not.toContain("<script>");
  });
});

describe("file shapes", () => {
  test("a bare { meta, data } is accepted as well as { db: [...] }", () => {
    const parsed = parseGhost(JSON.stringify({ meta: { version: "4.0.0" }, data: { posts: [{ id: "p1", title: "T", html: "<p>x</p>", status: "published", published_at: "2020-01-01T00:00:00.000Z" }] } }));
    expect(parsed.posts.map((p) => [p.key, p.status, p.publishedAt])).toEqual([["p1", "published", Date.UTC(2020, 0, 1)]]);
  });

  test("invalid JSON is refused with its line and column", () => {
    expect(refusal('{\n  "db": [\n    { "meta": {} ,, }\n  ]\n}')).toMatch(/^The file is not valid JSON \(at line 3, column \d+\)\.$/);
  });

  test("a truncated export is refused as not valid JSON", () => {
    const whole = fixture("ghost5-lexical.json");
    expect(refusal(whole.slice(0, Math.floor(whole.length / 2)))).toMatch(/^The file is not valid JSON/);
  });

  test("JSON that is not a Ghost export is refused", () => {
    for (const other of ["[]", "{}", '{"db":[{"data":{"users":[]}}]}', '"text"', '{"posts":[]}']) {
      expect(refusal(other)).toMatch(/^This JSON file is not a Ghost export/);
    }
  });

  test("more posts than one import takes is refused", () => {
    const posts = Array.from({ length: MAX_IMPORT_POSTS + 1 }, (_, i) => ({ id: `p${i}`, title: "t", html: "" }));
    expect(refusal(minimal(posts))).toContain(`at most ${MAX_IMPORT_POSTS}`);
  });

  test("bad items: no id, a duplicate id, neither title nor body, not an object; the others are imported", () => {
    const parsed = parseGhost(
      minimal([
        { title: "No id", html: "<p>x</p>" },
        { id: "a", title: "First", html: "<p>1</p>", status: "draft" },
        { id: "a", title: "Duplicate", html: "<p>2</p>" },
        { id: "b", title: "", html: null, lexical: null, mobiledoc: null },
        "not a post",
        { id: "c", title: "", html: "<p>body only</p>", status: "weird" },
      ]),
    );
    expect(parsed.problems.map((p) => [p.position, p.message])).toEqual([
      [1, "The post has no id."],
      [3, "A second post with the id a: not imported."],
      [4, "The post has neither a title nor a body."],
      [5, "Not a post object."],
    ]);
    expect(parsed.posts.map((p) => [p.key, p.title, p.status])).toEqual([
      ["a", "First", "draft"],
      ["c", "(Untitled)", "draft"],
    ]);
    expect(parsed.posts[1].notes).toEqual(['Ghost status "weird": imported as a draft.']);
  });

  test("a scheduled post without a time becomes a draft; a published one without published_at keeps created_at", () => {
    const parsed = parseGhost(
      minimal([
        { id: "s", title: "S", html: "", status: "scheduled", published_at: null },
        { id: "p", title: "P", html: "", status: "published", published_at: null, created_at: "2019-05-06T07:08:09.000Z" },
      ]),
    );
    expect(parsed.posts[0]).toMatchObject({ status: "draft", notes: ["Scheduled in Ghost without a time: imported as a draft."] });
    expect(parsed.posts[1]).toMatchObject({ status: "published", publishedAt: Date.parse("2019-05-06T07:08:09.000Z") });
  });

  test("paywall leak: a visibility Pressroom does not know stays paid-only instead of becoming public", () => {
    const parsed = parseGhost(
      minimal([
        { id: "f", title: "F", html: "", status: "draft", visibility: "filter" },
        { id: "n", title: "N", html: "" },
        { id: "p", title: "P", html: "", visibility: "public" },
      ]),
    );
    expect(parsed.posts.map((p) => [p.key, p.paid])).toEqual([
      ["f", true],
      ["n", false],
      ["p", false],
    ]);
    expect(parsed.posts[0].notes).toEqual(['Ghost visibility "filter": imported as paid-only.']);
  });

  test("relations naming unknown posts, users or tags are ignored", () => {
    const parsed = parseGhost(
      minimal([{ id: "p", title: "P", html: "" }], {
        tags: [{ id: "t", name: "T", slug: "t" }],
        posts_tags: [{ post_id: "p", tag_id: "missing" }, { post_id: "p", tag_id: "t" }, { post_id: "ghost", tag_id: "t" }],
        posts_authors: [{ post_id: "p", author_id: "nobody" }, { post_id: "p", author_id: "u1" }],
      }),
    );
    expect(parsed.posts[0]).toMatchObject({ tagKeys: ["t"], authorKeys: ["u1"] });
  });
});
