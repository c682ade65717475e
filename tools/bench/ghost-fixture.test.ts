import { describe, expect, test } from "vitest";
import { parseGhost } from "../../convex/migrate/ghost";
import { lexicalToHtml } from "../../convex/migrate/ghostContent";
import { ghostFixture, ghostFixtureBytes } from "./ghost-fixture";

// The migrate bench's Ghost 5 export generator (tools/bench/ghost-fixture.ts): the shape and counts
// asked (1,000 posts of ~1,500 words, 50 tags, 10 authors, relations that point at real rows), and
// the importer's own Ghost parser reads it without a problem.

const plain = (html: string) => html.replace(/<[^>]+>/g, " ").replace(/&[a-z]+;/g, " ");
const wordCount = (html: string) => plain(html).split(/\s+/).filter(Boolean).length;

describe("ghost fixture", () => {
  const fixture = ghostFixture();
  const { meta, data } = fixture.db[0]!;

  test("a Ghost 5 export with the counts asked: 1,000 posts, 50 tags, 10 authors", () => {
    expect(meta.version).toMatch(/^5\./);
    expect(data.posts).toHaveLength(1000);
    expect(data.tags).toHaveLength(50);
    expect(data.users).toHaveLength(10);
    expect(new Set(data.posts.map((p) => p.id)).size).toBe(1000);
    expect(new Set(data.posts.map((p) => p.slug)).size).toBe(1000);
    for (const p of data.posts) expect(p.id).toMatch(/^[0-9a-f]{24}$/);
  });

  test("relations point at rows of the export; every post has an author and a tag", () => {
    const postIds = new Set(data.posts.map((p) => p.id));
    const tagIds = new Set(data.tags.map((t) => t.id));
    const userIds = new Set(data.users.map((u) => u.id));
    for (const r of data.posts_tags) expect(postIds.has(r.post_id as string) && tagIds.has(r.tag_id as string)).toBe(true);
    for (const r of data.posts_authors) expect(postIds.has(r.post_id as string) && userIds.has(r.author_id as string)).toBe(true);
    expect(new Set(data.posts_authors.map((r) => r.post_id)).size).toBe(1000);
    expect(new Set(data.posts_tags.map((r) => r.post_id)).size).toBe(1000);
    expect(new Set(data.posts_tags.map((r) => r.tag_id)).size).toBe(50);
    expect(new Set(data.posts_authors.map((r) => r.author_id)).size).toBe(10);
  });

  test("bodies are about 1,500 words of realistic HTML, with lexical for every post and html null for some", () => {
    const withHtml = data.posts.filter((p) => typeof p.html === "string");
    expect(withHtml.length).toBe(900);
    const counts = data.posts.map((p) => wordCount(lexicalToHtml(p.lexical as string)));
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(1400);
    expect(Math.max(...counts)).toBeLessThanOrEqual(1700);
    const html = withHtml[0]!.html as string;
    for (const tag of ["<h2", "<p>", "<a href=\"https://", "<li>", "<img src=\"https://images.example.com/"]) {
      expect(withHtml.some((p) => (p.html as string).includes(tag)), tag).toBe(true);
    }
    // Ghost's html and the lexical render say the same words.
    expect(plain(lexicalToHtml(withHtml[0]!.lexical as string)).split(/\s+/).filter(Boolean)).toEqual(plain(html).split(/\s+/).filter(Boolean));
    expect(data.posts.some((p) => p.visibility === "paid")).toBe(true);
  });

  test("deterministic, and the importer's Ghost parser reads it: 1,000 posts, no bad item", () => {
    const bytes = ghostFixtureBytes();
    expect(new TextDecoder().decode(ghostFixtureBytes())).toBe(new TextDecoder().decode(bytes));
    const parsed = parseGhost(new TextDecoder().decode(bytes));
    expect(parsed.source).toBe("ghost");
    expect(parsed.posts).toHaveLength(1000);
    expect(parsed.tags).toHaveLength(50);
    expect(parsed.authors).toHaveLength(10);
    expect(parsed.problems).toEqual([]);
    expect(parsed.posts.filter((p) => p.paid).length).toBe(Math.floor(1000 / 7));
    expect(parsed.posts.every((p) => p.html.length > 1000 && p.status === "published" && p.authorKeys.length === 1)).toBe(true);
  });

  test("options scale it down (the bench's knobs)", () => {
    const small = ghostFixture({ posts: 12, words: 200, tags: 5, authors: 2 }).db[0]!.data;
    expect([small.posts.length, small.tags.length, small.users.length]).toEqual([12, 5, 2]);
  });
});
