import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { ghostFixtureBytes } from "../../tools/bench/ghost-fixture";
import { parseGhost, parseGhostBytes, readGhostJson } from "./ghost";
import { ImportFileError } from "./types";

// parseGhostBytes (the dry run's path for a Ghost JSON, issue #17's memory target) parses the posts
// one by one from the bytes: it must read exactly what parseGhost reads from the whole text.

const utf8 = (text: string) => new TextEncoder().encode(text);
const fixture = (name: string) => readFileSync(new URL(`../../tests/fixtures/migrate/ghost/${name}`, import.meta.url), "utf8");
const outcome = (run: () => unknown) => {
  try {
    return { value: run() };
  } catch (error) {
    expect(error).toBeInstanceOf(ImportFileError);
    return { error: (error as Error).message };
  }
};
const same = (text: string) => {
  const expected = outcome(() => parseGhost(text));
  expect(outcome(() => parseGhostBytes(utf8(text)))).toEqual(expected);
  return expected;
};
/** Whether readGhostJson read the posts one by one (the memory-saving path): it drops plaintext then. */
const readPostByPost = (text: string) => {
  const root = readGhostJson(utf8(text)) as { db: Array<{ data: { posts: unknown[] } }> };
  return !root.db[0]!.data.posts.some((p) => typeof p === "object" && p !== null && "plaintext" in p);
};
const post = (id: string, extra: Record<string, unknown> = {}) => ({ id, title: `Post ${id}`, status: "published", published_at: "2021-01-01T00:00:00.000Z", ...extra });
const users = [{ id: "u1", name: "U", email: "u@example.com" }];

describe("parseGhostBytes reads what parseGhost reads", () => {
  test("the Ghost 4 and Ghost 5 fixtures and a generated 40-post export", () => {
    for (const name of ["ghost4-mobiledoc.json", "ghost5-lexical.json"]) {
      expect(same(fixture(name)).value).toBeTruthy();
      expect(readPostByPost(fixture(name))).toBe(true);
    }
    const generated = new TextDecoder().decode(ghostFixtureBytes({ posts: 40, words: 200 }));
    const parsed = same(generated).value as ReturnType<typeof parseGhost>;
    expect(parsed.posts).toHaveLength(40);
    // every 10th generated post has html null: its body comes from lexical, which must still be there
    expect(parsed.posts[9]!.html).toContain("<p>");
  });

  test("strings with escaped quotes, backslashes, brackets, non-ASCII text and a posts key inside a post", () => {
    const tricky = [
      post("a", { html: '<p>"quoted" \\ back\\slash \\" ] } [ { , "posts": [</p>', title: "Ünïcödé ✓ 日本語 \\", plaintext: '"quoted" \\' }),
      post("b", { html: "<p>x</p>", custom_excerpt: "ends in a backslash \\", posts: [{ id: "nested" }], lexical: '{"root":{"children":[]}}' }),
      post("c", { html: null, lexical: JSON.stringify({ root: { type: "root", children: [{ type: "paragraph", children: [{ type: "text", text: "from lexical ]" }] }] } }) }),
      "not a post",
      7,
      null,
    ];
    const text = JSON.stringify({ db: [{ meta: { version: "5.0.0" }, data: { posts: tricky, users, posts_authors: [{ post_id: "a", author_id: "u1" }] } }] }, null, 2);
    const parsed = same(text).value as ReturnType<typeof parseGhost>;
    expect(parsed.posts.map((p) => p.key)).toEqual(["a", "b", "c"]);
    expect(parsed.posts[2]!.html).toContain("from lexical ]");
    expect(parsed.problems.map((p) => p.position)).toEqual([4, 5, 6]);
    expect(readPostByPost(text)).toBe(true);
  });

  test("a byte-order mark, a bare { meta, data } and an empty posts list", () => {
    same(`\ufeff${JSON.stringify({ db: [{ data: { posts: [post("a", { html: "<p>x</p>" })], users } }] })}`);
    expect((same(JSON.stringify({ meta: {}, data: { posts: [post("a", { html: "<p>x</p>" })] } })).value as ReturnType<typeof parseGhost>).posts).toHaveLength(1);
    same(JSON.stringify({ db: [{ data: { posts: [], users } }] }));
  });

  test("shapes the scan does not take fall back to the whole text with the same result", () => {
    // a duplicate posts key (JSON.parse keeps the last), a first db entry without posts, two db entries with posts
    same(`{"db":[{"data":{"posts":[${JSON.stringify(post("first", { html: "<p>1</p>" }))}],"posts":[${JSON.stringify(post("second", { html: "<p>2</p>" }))}]}}]}`);
    same(JSON.stringify({ db: [{ data: { users } }, { data: { posts: [post("a", { html: "<p>x</p>" })], users } }] }));
    same(JSON.stringify({ db: [{ data: { posts: [post("a", { html: "<p>1</p>" })] } }, { data: { posts: [post("b", { html: "<p>2</p>" })] } }] }));
  });

  test("a second posts key spelled with escapes (invisible to the scan) still wins, as in JSON.parse", () => {
    const a = JSON.stringify(post("a", { html: "<p>a</p>", plaintext: "a" }));
    const b = JSON.stringify(post("b", { html: "<p>b</p>", plaintext: "b" }));
    for (const text of [`{"db":[{"data":{"posts":[${a}],"pos\\u0074s":[${b}]}}]}`, `{"db":[{"data":{"posts":[${a}],"pos\\u0074s":[]}}]}`, `{"db":[{"data":{"posts":[${a}]},"d\\u0061ta":{"posts":[${b}]}}]}`]) {
      const keys = (same(text).value as ReturnType<typeof parseGhost>).posts.map((p) => p.key);
      expect(keys).toEqual(JSON.parse(text).db[0].data.posts.map((p: { id: string }) => p.id));
    }
    // (the one whose winning list is empty has no plaintext left to tell the two paths apart)
    expect(readPostByPost(`{"db":[{"data":{"posts":[${a}],"pos\\u0074s":[${b}]}}]}`)).toBe(false);
    // while the plain spelling after an escaped one is read post by post
    const text = `{"db":[{"data":{"pos\\u0074s":[${b}],"posts":[${a}]}}]}`;
    expect((same(text).value as ReturnType<typeof parseGhost>).posts.map((p) => p.key)).toEqual(["a"]);
    expect(readPostByPost(text)).toBe(true);
  });

  test("deep nesting: the same result, read whole (the scan keeps no stack past 64 levels)", () => {
    const deep = (n: number) => `${'{"posts":['.repeat(n)}${"]}".repeat(n)}`;
    for (const n of [5, 65, 20_000]) {
      const text = `{"db":[{"data":{"posts":[${JSON.stringify(post("a", { html: "<p>x</p>", plaintext: "x" }))}],"tags":[${deep(n)}]}}]}`;
      expect((same(text).value as ReturnType<typeof parseGhost>).posts.map((p) => p.key)).toEqual(["a"]);
      expect(readPostByPost(text)).toBe(n < 60);
    }
  });

  test("malformed files get parseGhost's positioned errors", () => {
    const cases = [
      `{"db":[{"data":{"posts":[${JSON.stringify(post("a", { html: "x" }))},]}}]}`, // trailing comma
      `{"db":[{"data":{"posts":[,${JSON.stringify(post("a", { html: "x" }))}]}}]}`, // empty element
      `{"db":[{"data":{"posts":[{"id":"a","title":}]}}]}`, // broken post
      `{"db":[{"data":{"posts":[{"id":"a"}]}},,]}`, // broken outside the posts
      `{"db":[{"data":{"posts":[{"id":"a","html":"unterminated}]}}]}`,
      fixture("ghost5-lexical.json").slice(0, 2000), // truncated
      `{"db":[{"data":{"posts":[{"id":"a"}]}}]} trailing`,
    ];
    for (const text of cases) expect(same(text).error).toMatch(/^The file is not valid JSON/);
  });
});

describe("readGhostJson drops what the import never reads", () => {
  test("plaintext always; lexical and mobiledoc only beside html; the other tables untouched", () => {
    const text = JSON.stringify({
      db: [{ meta: { version: "5.0.0" }, data: { posts: [post("a", { html: "<p>a</p>", lexical: "{}", mobiledoc: "{}", plaintext: "a" }), post("b", { html: null, lexical: '{"root":{}}', plaintext: "b" })], users, tags: [{ id: "t1", name: "News" }] } }],
    });
    const root = readGhostJson(utf8(text)) as { db: Array<{ data: { posts: Array<Record<string, unknown>>; tags: unknown[] } }> };
    const [a, b] = root.db[0]!.data.posts;
    expect(Object.keys(a!).sort()).toEqual(["html", "id", "published_at", "status", "title"]);
    expect(b).toEqual({ ...post("b"), html: null, lexical: '{"root":{}}' });
    expect(root.db[0]!.data.tags).toEqual([{ id: "t1", name: "News" }]);
  });
});
