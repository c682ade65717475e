import { strToU8, zipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { generatedSubstackZip, TINY_PNG, zipFixture } from "../../tests/fixtures/migrate/build-zips";
import { isSubstackExport, parseSubstack, SUBSTACK_AUTHOR_KEY } from "./substack";
import { ImportFileError } from "./types";
import { readZip } from "./zip";

const fixture = () => parseSubstack(readZip(zipFixture("substack", { "images/bridge.png": TINY_PNG, "images/fake.jpg": strToU8("<html>") })));
const byKey = (key: string) => {
  const post = fixture().posts.find((p) => p.key === key);
  if (!post) throw new Error(`no post ${key}`);
  return post;
};

describe("parseSubstack", () => {
  it("reads every readable row of posts.csv with its body, in order, and reports the rest by position", () => {
    const parsed = fixture();
    expect(parsed.source).toBe("substack");
    expect(parsed.posts.map((p) => [p.key, p.position])).toEqual([
      ["101", 1],
      ["102", 2],
      ["103", 3],
      ["104", 4],
      ["105", 5],
      ["106", 6],
      ["107", 7],
      ["108", 8],
      ["111", 11],
    ]);
    expect(parsed.problems).toEqual([
      { position: 9, item: "Lost body", message: "Its body, posts/109.lost-body.html, is not in the zip." },
      { position: 10, item: "Bad date", message: 'Its post_date "yesterday-ish" is not a date.' },
      { position: 0, item: "images/fake.jpg", message: "Named like an image but is not one; left out." },
    ]);
  });

  it("takes the id's number as the key and the rest as the slug, with /p/slug as the old address", () => {
    const post = byKey("101");
    expect(post).toMatchObject({
      slug: "first-issue",
      title: "First issue",
      status: "published",
      publishedAt: Date.parse("2021-03-04T09:30:00.000Z"),
      paid: false,
      authorKeys: [SUBSTACK_AUTHOR_KEY],
      legacyPaths: ["/p/first-issue"],
      excerpt: "Why we started & what's next",
    });
    expect(post.html).toContain("<strong>first issue</strong>");
    expect(post.html).toContain('src="https://substackcdn.com/image/fetch/w_1456/abc.jpeg"');
  });

  it("marks only_paid and founding posts paid, and leaves only_free and everyone free", () => {
    expect([byKey("102").paid, byKey("103").paid, byKey("101").paid, byKey("111").paid]).toEqual([true, true, false, false]);
  });

  it("imports unpublished rows as drafts without a publish date, and pages as pages", () => {
    const draft = byKey("104");
    expect(draft.status).toBe("draft");
    expect(draft.publishedAt).toBeUndefined();
    expect(draft.createdAt).toBe(Date.parse("2021-06-01T08:00:00.000Z"));
    expect(byKey("105")).toMatchObject({ isPage: true, status: "published", excerpt: "Who we are" });
    expect(byKey("101").isPage).toBeUndefined();
  });

  it("keeps a podcast's audio as a link at the top and notes it; notes a thread", () => {
    const podcast = byKey("106");
    expect(podcast.html.startsWith('<p>Listen to this episode: <a href="https://api.substack.com/feed/podcast/106/episode.mp3">')).toBe(true);
    expect(podcast.notes?.[0]).toMatch(/podcast episode/);
    expect(byKey("107").notes?.[0]).toMatch(/thread/);
  });

  it("reads a quoted title with a comma, a newline and quotes as one title", () => {
    expect(byKey("108")).toMatchObject({ title: 'Rivers, roads and "bridges"', slug: "commas-and-lines", excerpt: "A quoted title" });
  });

  it("gives an id without a slug and a row without a title a null slug and a stand-in title", () => {
    expect(byKey("111")).toMatchObject({ slug: null, title: "Untitled", status: "draft", legacyPaths: [] });
  });

  it("hands over subscriber CSVs (not posts.csv, not the per-post stats) and real images", () => {
    const parsed = fixture();
    expect(parsed.memberLists.map((l) => l.path).sort()).toEqual(["email_list.rivers.csv", "rivers_subscribers.csv"]);
    expect(new TextDecoder().decode(parsed.memberLists.find((l) => l.path === "rivers_subscribers.csv")?.bytes)).toContain("cara@example.com");
    expect(parsed.images).toEqual([{ path: "images/bridge.png", contentType: "image/png", bytes: TINY_PNG }]);
    expect(parsed.authors).toEqual([{ key: SUBSTACK_AUTHOR_KEY, name: "Substack author" }]);
  });

  it("names the one author after the publication when its title is known", () => {
    const parsed = parseSubstack(readZip(zipFixture("substack")), { siteTitle: "Rivers" });
    expect(parsed.authors).toEqual([{ key: SUBSTACK_AUTHOR_KEY, name: "Rivers" }]);
    expect(parsed.site).toEqual({ title: "Rivers" });
  });

  it("refuses a posts.csv that is not Substack's, and a broken CSV, with the file's name", () => {
    const notSubstack = readZip(zipSync({ "posts.csv": strToU8("id,name\n1,x\n") }));
    expect(isSubstackExport(notSubstack)).toBe(true);
    expect(() => parseSubstack(notSubstack)).toThrow(ImportFileError);
    expect(() => parseSubstack(notSubstack)).toThrow(/no post_id, post_date, is_published, type, audience, title columns/);
    const broken = readZip(zipSync({ "posts.csv": strToU8('post_id,post_date,is_published,type,audience,title\n1.a,"2021,true\n') }));
    expect(() => parseSubstack(broken)).toThrow(/^posts\.csv: The file is not valid CSV/);
  });

  it("XSS: a podcast_url that is not http(s) never becomes a link", () => {
    const csv = 'post_id,post_date,is_published,type,audience,title,podcast_url\n1.ep,2021-01-01,true,podcast,everyone,Ep,"javascript:alert(1)"\n';
    const parsed = parseSubstack(readZip(zipSync({ "posts.csv": strToU8(csv), "posts/1.ep.html": strToU8("<p>notes</p>") })));
    expect(parsed.posts[0].html).toBe("<p>notes</p>");
    expect(parsed.posts[0].notes).toEqual(["A podcast episode: its audio was not in the export."]);
  });

  it("reads a 1,000-post export (time logged)", () => {
    const zip = generatedSubstackZip(1000);
    const started = performance.now();
    const parsed = parseSubstack(readZip(zip));
    const ms = performance.now() - started;
    console.log(`substack: parsed 1,000 posts from a ${(zip.length / 2 ** 20).toFixed(1)} MB zip in ${ms.toFixed(0)} ms`);
    expect(parsed.posts).toHaveLength(1000);
    expect(parsed.problems).toEqual([]);
    expect(parsed.posts[999]).toMatchObject({ key: "101000", slug: "post-number-1000", title: "Post 1000, a title", paid: true });
  });
});
