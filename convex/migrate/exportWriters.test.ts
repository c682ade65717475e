// The export writers (issue #17): Ghost JSON pieces and Markdown files with YAML front matter.
// Pure functions over the shapes convex/siteExport.ts returns; the routes and the round trip are
// tests/integration/site-export.test.ts and migrate-round-trip.test.ts.
import { parse as parseYaml } from "yaml";
import { describe, expect, test } from "vitest";
import { RICH_DOC } from "../../app/editor/__fixtures__/rich-doc";
import { markdownToDoc } from "../../app/editor/markdown";
import type { ExportPost, ExportSite } from "../model/siteExport";
import { clip, GHOST_LIMITS, GhostJsonWriter, ghostPost, lexicalHtmlCard, stableUuid, storedImageKey } from "./ghostExport";
import { frontMatter, imageExtension, postMarkdown, postPath, storedImages } from "./markdownExport";

const ORIGIN = "http://127.0.0.1:3210";
const docOf = (...content: object[]) => JSON.stringify({ type: "doc", content });
const para = (text: string) => ({ type: "paragraph", content: [{ type: "text", text }] });

function post(over: Partial<ExportPost> = {}): ExportPost {
  return {
    _id: "p1" as ExportPost["_id"],
    title: "Hello",
    slug: "hello",
    status: "published",
    featured: false,
    excerpt: null,
    authorId: "u1" as ExportPost["authorId"],
    authorName: "Ann Author",
    categoryId: null,
    tagIds: [],
    coverUrl: null,
    coverStored: false,
    coverAlt: null,
    coverCaption: null,
    seoTitle: null,
    seoDescription: null,
    publishedAt: Date.UTC(2024, 0, 2),
    scheduledAt: null,
    createdAt: Date.UTC(2024, 0, 1),
    updatedAt: Date.UTC(2024, 0, 3),
    published: { title: "Hello", excerpt: null, doc: docOf(para("Body.")) },
    draft: null,
    legacyPaths: [],
    ...over,
  };
}

const SITE: ExportSite = {
  name: "Field Notes",
  slug: "field-notes",
  description: null,
  categories: [{ _id: "c1", name: "Essays", slug: "essays", description: null }],
  authors: [
    { userId: "u1" as ExportPost["authorId"], name: "Ann Author", slug: "ann", role: "owner", email: "ann@example.com", placeholder: false },
    { userId: "u2" as ExportPost["authorId"], name: "Pat Placeholder", slug: "pat", role: "author", email: null, placeholder: true },
  ],
};

function ghostFile(posts: ExportPost[], tags: Array<{ _id: string; name: string; slug: string }>) {
  const w = new GhostJsonWriter(SITE, ORIGIN, 1_700_000_000_000);
  return (async () => {
    let text = w.start();
    for (const p of posts) text += await w.post(p);
    for (const t of tags) text += w.tag({ ...t, description: null });
    return JSON.parse(text + w.end());
  })();
}

describe("Ghost JSON writer", () => {
  test("the file has Ghost 5's shape: meta, posts, tags, posts_tags with sort_order, users, posts_authors, roles", async () => {
    const file = await ghostFile(
      [
        post({ categoryId: "c1" as never, tagIds: ["t1", "t2"] as never, featured: true, excerpt: "Mine", status: "published" }),
        post({ _id: "p2" as never, slug: "second", status: "archived", authorId: "u9" as never, authorName: "Former Member" }),
        post({ _id: "p3" as never, slug: "later", status: "scheduled", publishedAt: null, scheduledAt: Date.UTC(2030, 0, 1), published: null, draft: { title: "Later", excerpt: null, doc: docOf(para("Soon.")) } }),
      ],
      [
        { _id: "t1", name: "Rivers", slug: "rivers" },
        { _id: "t2", name: "Essays tag", slug: "essays" }, // same slug as the category: one Ghost tag
      ],
    );
    const db = file.db[0];
    expect(db.meta).toEqual({ exported_on: 1_700_000_000_000, version: expect.stringMatching(/^5\./) });
    const [p1, p2, p3] = db.data.posts;
    expect(p1).toMatchObject({ id: "p1", slug: "hello", status: "published", visibility: "paid", featured: false, custom_excerpt: "Mine", published_at: "2024-01-02T00:00:00.000Z", type: "post" });
    expect(p1.html).toBe("<p>Body.</p>");
    expect(JSON.parse(p1.lexical).root.children).toEqual([{ type: "html", version: 1, html: "<p>Body.</p>" }]);
    expect(p2).toMatchObject({ status: "draft", visibility: "public" }); // archived → draft
    expect(p3).toMatchObject({ status: "scheduled", published_at: "2030-01-01T00:00:00.000Z", html: "<p>Soon.</p>" });
    expect(db.data.tags.map((t: { slug: string }) => t.slug)).toEqual(["essays", "rivers"]);
    // Category first (Ghost's primary tag), the tag sharing its slug folded into it.
    expect(db.data.posts_tags).toEqual([
      { post_id: "p1", tag_id: "c1", sort_order: 0 },
      { post_id: "p1", tag_id: "t1", sort_order: 1 },
    ]);
    expect(db.data.users).toEqual([
      { id: "u1", name: "Ann Author", slug: "ann", email: "ann@example.com", status: "active" },
      { id: "u2", name: "Pat Placeholder", slug: "pat", email: "pat@placeholder.invalid", status: "active" },
      { id: "u9", name: "Former Member", slug: expect.stringMatching(/^former-member-/), email: expect.stringMatching(/@placeholder\.invalid$/), status: "active" },
    ]);
    expect(db.data.posts_authors.map((r: { post_id: string; author_id: string }) => [r.post_id, r.author_id])).toEqual([["p1", "u1"], ["p2", "u9"], ["p3", "u1"]]);
    const roleName = new Map(db.data.roles.map((r: { id: string; name: string }) => [r.id, r.name]));
    expect(db.data.roles_users.map((r: { user_id: string; role_id: string }) => [r.user_id, roleName.get(r.role_id)])).toEqual([["u1", "Administrator"], ["u2", "Author"], ["u9", "Author"]]);
  });

  test("an empty site is still a complete file", async () => {
    const file = await ghostFile([], []);
    expect(file.db[0].data).toMatchObject({ posts: [], posts_tags: [], posts_authors: [], tags: [{ slug: "essays" }] });
  });

  test("fields over Ghost's importer limits are clipped to them (title 255, excerpt 300); shorter ones are kept whole", async () => {
    const g = await ghostPost(post({ title: "t".repeat(300), excerpt: "😀".repeat(1000), seoTitle: "Short" }), ORIGIN);
    expect(Array.from(g.title as string)).toHaveLength(GHOST_LIMITS.title);
    expect((g.title as string).endsWith("…")).toBe(true);
    expect(Array.from(g.custom_excerpt as string)).toHaveLength(GHOST_LIMITS.custom_excerpt);
    expect(g.custom_excerpt as string).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/); // no half emoji
    expect(g.meta_title).toBe("Short");
    expect(clip("x".repeat(255), 255)).toBe("x".repeat(255));
  });

  test("uuid is a valid, stable UUID derived from the id", async () => {
    const a = await stableUuid("k17abc");
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await stableUuid("k17abc")).toBe(a);
    expect(await stableUuid("k17abd")).not.toBe(a);
  });

  test("html comes from the one renderer with stored images made absolute; URL images stay", async () => {
    const g = await ghostPost(post({ published: { title: "x", excerpt: null, doc: JSON.stringify(RICH_DOC) } }), ORIGIN);
    expect(g.html).toContain(`src="${ORIGIN}/api/storage/kg2abc"`);
    expect(g.html).toContain('src="https://cdn.example.com/pictures/cat.png"');
    expect(g.html).toContain("<pre><code class=\"language-ts\">");
    expect(g.lexical).toBe(lexicalHtmlCard(g.html as string));
  });

  test("XSS: a stored document smuggling script, handlers and javascript: links renders without them", async () => {
    const evil = docOf(
      { type: "paragraph", content: [{ type: "text", text: "<script>alert(1)</script>", marks: [{ type: "link", attrs: { href: "javascript:alert(1)" } }] }] },
      { type: "image", attrs: { src: "javascript:alert(2)", alt: '" onerror="alert(3)' } },
      { type: "rawHtml", content: [{ type: "text", text: "<img src=x onerror=alert(4)>" }] },
    );
    const { html } = await ghostPost(post({ published: { title: "x", excerpt: null, doc: evil } }), ORIGIN);
    expect(html).not.toMatch(/<script|<img|javascript:/i);
    expect(html).not.toMatch(/<[^>]*\son\w+=/i); // no event handler attribute in any tag
    expect(html).toContain("&lt;script&gt;");
  });

  test("storedImageKey: only /api/storage/<id> on the deployment's origin (or root-relative) is ours", () => {
    expect(storedImageKey("/api/storage/kg2abc", ORIGIN)).toBe("kg2abc");
    expect(storedImageKey(`${ORIGIN}/api/storage/kg2abc`, ORIGIN)).toBe("kg2abc");
    expect(storedImageKey("https://evil.example/api/storage/kg2abc", ORIGIN)).toBeNull();
    expect(storedImageKey(`${ORIGIN}/api/storage/../../etc/passwd`, ORIGIN)).toBeNull();
    expect(storedImageKey(`${ORIGIN}/api/storage/a%2F..%2Fb`, ORIGIN)).toBeNull();
    expect(storedImageKey(`${ORIGIN}/api/storage/kg2abc?x=1`, ORIGIN)).toBeNull();
    expect(storedImageKey("//evil.example/api/storage/x", ORIGIN)).toBeNull();
  });
});

describe("Markdown writer", () => {
  const ctx = (paths: Record<string, string> = {}) => ({ site: SITE, tagNames: new Map([["t1", "Rivers"]]), storageOrigin: ORIGIN, imagePath: (k: string) => paths[k] ?? null });
  const split = (text: string) => {
    const m = /^---\n([\s\S]*?)---\n\n([\s\S]*)$/.exec(text);
    if (!m) throw new Error(`no front matter in ${text.slice(0, 80)}`);
    return { data: parseYaml(m[1]!) as Record<string, unknown>, body: m[2]! };
  };

  test("YAML injection: titles with ---, quotes, newlines and `key: value` lines read back as the same strings", () => {
    const nasty = ["x\nadmin: true", "---", "--- \nstatus: published\n---", `He said "hi" & 'bye'`, "#not a comment", "- a list?", "{a: 1}", "*alias", "!!js/function x", "null", "true", "2024-01-01", "  padded  ", "tab\there", "a: b"];
    for (const title of nasty) {
      const { data, body } = split(postMarkdown(post({ title, excerpt: title, seoTitle: title }), ctx()).text);
      expect(data.title, JSON.stringify(title)).toBe(title);
      expect(data.excerpt).toBe(title);
      expect((data.seo as { title: string }).title).toBe(title);
      expect(data.status).toBe("published");
      expect(Object.keys(data)).not.toContain("admin");
      expect(body).toBe("Body.\n");
    }
    expect(frontMatter({ title: "x\nadmin: true" })).not.toMatch(/^admin:/m);
  });

  test("front matter carries the post's fields; the body is docToMarkdown's and reads back to the same document", () => {
    const { data, body } = split(
      postMarkdown(
        post({ tagIds: ["t1"] as never, categoryId: "c1" as never, featured: true, excerpt: "Short", seoDescription: "Desc", legacyPaths: ["/p/hello"], published: { title: "x", excerpt: null, doc: JSON.stringify(RICH_DOC) } }),
        ctx({ kg2abc: "images/kg2abc.png" }),
      ).text,
    );
    expect(data).toMatchObject({ title: "Hello", slug: "hello", status: "published", date: "2024-01-02T00:00:00.000Z", updated: "2024-01-03T00:00:00.000Z", author: "Ann Author", tags: ["Rivers"], category: "Essays", excerpt: "Short", featured: true, cover: null, seo: { title: null, description: "Desc" }, old_paths: ["/p/hello"] });
    expect(body).toContain("](../images/kg2abc.png)");
    expect(body).toContain("](https://cdn.example.com/pictures/cat.png");
    // With the local path mapped back, the Markdown is the same document (the converter's promise).
    const back = markdownToDoc(body.split("../images/kg2abc.png").join("/api/storage/kg2abc"));
    expect(JSON.stringify(back)).toContain('"src":"/api/storage/kg2abc"');
    expect(JSON.stringify(back)).toContain("fenced inside");
  });

  test("a stored image that could not be copied keeps its absolute URL; a stored cover points into images/", () => {
    const p = post({ coverUrl: `${ORIGIN}/api/storage/cov1`, coverStored: true, coverAlt: "Alt", published: { title: "x", excerpt: null, doc: docOf({ type: "image", attrs: { src: "/api/storage/gone1", alt: null, title: null } }) } });
    expect(storedImages(p, ORIGIN)).toEqual([
      { key: "gone1", url: `${ORIGIN}/api/storage/gone1` },
      { key: "cov1", url: `${ORIGIN}/api/storage/cov1` },
    ]);
    const { data, body } = split(postMarkdown(p, ctx({ cov1: "images/cov1.jpg" })).text);
    expect(data.cover).toBe("../images/cov1.jpg");
    expect(data.cover_alt).toBe("Alt");
    expect(body).toContain(`(${ORIGIN}/api/storage/gone1)`);
  });

  test("path traversal: a file name comes from a plain slug only, else the post id", () => {
    expect(postPath({ _id: "p1" as never, slug: "hello-world" })).toBe("posts/hello-world.md");
    expect(postPath({ _id: "p1" as never, slug: "../../etc/passwd" })).toBe("posts/p1.md");
    expect(postPath({ _id: "p1" as never, slug: "a/b" })).toBe("posts/p1.md");
    expect(imageExtension("image/png")).toBe("png");
    expect(imageExtension("image/jpeg; charset=binary")).toBe("jpg");
    expect(imageExtension("text/html")).toBeNull();
    expect(imageExtension("image/svg+xml")).toBeNull();
  });
});
