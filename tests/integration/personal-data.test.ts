// /account/data.json (issue #17 "personal data") through the Remix route against a local backend
// running convex/ in isolate workers with Convex's limits: a signed-in user downloads one JSON file
// of their data, streamed page by page; a user with 1,000 posts (about 500 words each) is measured
// (the issue asks for "within a minute"); another user of the same site is absent; signed out is a
// redirect to sign-in.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Id } from "../../convex/_generated/dataModel";
import type { LocalBackend } from "../../local-backend/src/backend";
import * as dataRoute from "../../app/routes/account.data[.]json";
import { startAuthBackend } from "../support/auth";
import { keepProcessEnv, runOn, stopAppBackend } from "../support/live-backend";
import { appUser, get, ORIGIN, type AppUser } from "../support/remix-app";

let backend: LocalBackend;
let restoreEnv: () => void;
let ada: AppUser;
let bob: AppUser;
let siteId: Id<"sites">;

const POSTS = 1000;
const WORDS = "the river runs past the old mill where we used to read letters aloud".split(" ");

/** A TipTap document of about `words` words in paragraphs of 60. */
function longDoc(seed: number, words: number): { doc: string; text: string } {
  const paragraphs: string[] = [];
  for (let w = 0; w < words; w += 60) {
    paragraphs.push(Array.from({ length: 60 }, (_, i) => WORDS[(seed + w + i) % WORDS.length]).join(" "));
  }
  const doc = { type: "doc", content: paragraphs.map((text) => ({ type: "paragraph", content: [{ type: "text", text }] })) };
  return { doc: JSON.stringify(doc), text: paragraphs.join("\n") };
}

async function userIdOf(email: string): Promise<Id<"users">> {
  return await runOn(backend, async (ctx) => (await ctx.db.query("users").withIndex("email", (q: any) => q.eq("email", email)).unique())._id);
}

/** `count` posts by `authorId`, written in batches so each setup transaction stays small. */
async function seedPosts(authorId: Id<"users">, tag: string, count: number, words: number) {
  for (let start = 0; start < count; start += 100) {
    await runOn(backend, async (ctx) => {
      const now = Date.now();
      for (let i = start; i < Math.min(count, start + 100); i++) {
        const { doc, text } = longDoc(i, words);
        const postId = await ctx.db.insert("posts", {
          siteId, authorId, authorName: tag, title: `${tag} essay ${i}`, slug: `${tag}-essay-${i}`, status: "published",
          featured: false, tagIds: [], publishedAt: now - i, createdAt: now, updatedAt: now,
        });
        await ctx.db.insert("postBodies", {
          siteId, postId, kind: "draft", version: 1, title: `${tag} essay ${i}`, doc, text, searchText: text, wordCount: words, updatedAt: now, updatedBy: authorId,
        });
      }
      return null;
    });
  }
}

beforeAll(async () => {
  ({ backend } = await startAuthBackend("personal-data-", ORIGIN));
  restoreEnv = keepProcessEnv("CONVEX_URL", "AUTH_MIN_RESPONSE_MS");
  process.env.CONVEX_URL = backend.url;
  process.env.AUTH_MIN_RESPONSE_MS = "0";
  ada = await appUser(backend, "data-ada", "Ada Data");
  bob = await appUser(backend, "data-bob", "Bob Other");
  const [adaId, bobId] = [await userIdOf(ada.email), await userIdOf(bob.email)];
  siteId = await runOn(backend, async (ctx) => {
    const now = Date.now();
    const id = await ctx.db.insert("sites", { name: "Shared Gazette", slug: `gazette-${now.toString(36)}`, ownerId: bobId, createdAt: now, updatedAt: now });
    await ctx.db.insert("siteMembers", { siteId: id, userId: bobId, role: "owner", authorSlug: "bob", createdAt: now });
    await ctx.db.insert("siteMembers", { siteId: id, userId: adaId, role: "author", authorSlug: "ada", createdAt: now });
    await ctx.db.insert("notifications", { userId: bobId, siteId: id, type: "site_invite", title: "bob's private note", read: false, createdAt: now });
    return id;
  });
  await seedPosts(adaId, "ada", POSTS, 500);
  await seedPosts(bobId, "bob", 3, 50);
}, 300_000);

afterAll(async () => {
  restoreEnv?.();
  await stopAppBackend(backend);
});

async function download(user: AppUser) {
  const started = Date.now();
  const res: Response = await dataRoute.loader({ request: get("/account/data.json", user.jar), params: {}, context: {} } as never);
  const text = await res.text();
  return { res, text, ms: Date.now() - started };
}

describe("/account/data.json", () => {
  test("a user with 1,000 posts downloads all of them as one JSON attachment within a minute", async () => {
    const { res, text, ms } = await download(ada);
    console.log(`personal data: ${POSTS} posts (~500 words each), ${(text.length / 1e6).toFixed(1)} MB in ${ms} ms`);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("application/json; charset=utf-8");
    expect(res.headers.get("Content-Disposition")).toMatch(/^attachment; filename="pressroom-data-\d{4}-\d{2}-\d{2}\.json"$/);
    expect(res.headers.get("Cache-Control")).toBe("private, no-store");
    const data = JSON.parse(text);
    expect(data).toMatchObject({ format: "pressroom-personal-data", version: 1, comments: [] });
    expect(data.profile).toMatchObject({ name: "Ada Data", email: ada.email });
    expect(data.authAccounts).toEqual([{ provider: "password", email: ada.email }]);
    expect(data.siteMemberships).toEqual([expect.objectContaining({ siteId, siteName: "Shared Gazette", role: "author" })]);
    expect(data.posts).toHaveLength(POSTS);
    expect(new Set(data.posts.map((p: { slug: string }) => p.slug)).size).toBe(POSTS);
    const one = data.posts.find((p: { slug: string }) => p.slug === "ada-essay-7");
    expect(one.doc).toEqual(JSON.parse(longDoc(7, 500).doc));
    expect(one).toMatchObject({ status: "published", siteName: "Shared Gazette" });
    expect(Array.isArray(data.notifications) && Array.isArray(data.auditEntries) && Array.isArray(data.emails)).toBe(true);
    expect(ms).toBeLessThan(60_000);
  }, 120_000);

  test("cross-tenant read: a user cannot download another user's data (Bob shares the site; none of his rows)", async () => {
    const { text } = await download(bob);
    const data = JSON.parse(text);
    expect(data.profile.email).toBe(bob.email);
    expect(data.posts.map((p: { title: string }) => p.title).sort()).toEqual(["bob essay 0", "bob essay 1", "bob essay 2"]);
    expect(data.notifications.map((n: { title: string }) => n.title)).toEqual(["bob's private note"]);
    expect(text).not.toContain("ada essay");
    expect(text).not.toContain(ada.email);
    // Bob sees no password hash of his own either.
    expect(text).not.toMatch(/"secret"/);
  }, 60_000);

  test("signed out: a redirect to sign in, no data", async () => {
    const thrown = await Promise.resolve(dataRoute.loader({ request: get("/account/data.json"), params: {}, context: {} } as never)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(thrown).toBeInstanceOf(Response);
    expect((thrown as Response).status).toBe(302);
    expect((thrown as Response).headers.get("Location")).toMatch(/^\/(login|sign-in|signin)/);
  });
});
