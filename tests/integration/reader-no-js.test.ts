// Budgets (issue #16): reader pages ship no JavaScript. $site.tsx's route handle says
// `scripts: false`, so root.tsx renders them without <Scripts/> (no module scripts, no
// modulepreload links, no hydration data) and without <ScrollRestoration/>. Platform pages keep them.
// Full documents through Remix's request handler (Vite SSR of the app) against the demo content.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { LocalBackend } from "../../local-backend/src/backend";
import { keepProcessEnv, startAppBackend, stopAppBackend } from "../support/live-backend";
import { startRemixVite, type RemixViteApp } from "../support/remix-vite";

const ORIGIN = "http://127.0.0.1:3000";

let backend: LocalBackend;
let restoreEnv: () => void;
let vite: RemixViteApp | null = null;
let handle: ((r: Request) => Promise<Response>) | null = null;
let postSlug = "";

beforeAll(async () => {
  backend = await startAppBackend("reader-no-js-");
  restoreEnv = keepProcessEnv("CONVEX_URL", "READER_CACHE", "ROOT_DOMAIN");
  process.env.CONVEX_URL = backend.url;
  process.env.READER_CACHE = "off";
  delete process.env.ROOT_DOMAIN;
  const seeded = await backend.runner.runMutation("demo:seedDemo", {}, { allowInternal: true });
  if (!seeded.ok) throw new Error(seeded.message);
  const post = await backend.runner.transactInline(async (ctx: any) => {
    const site = await ctx.db.query("sites").withIndex("by_slug", (q: any) => q.eq("slug", "the-ledger")).unique();
    const posts = await ctx.db.query("posts").withIndex("by_siteId_and_status_and_publishedAt", (q: any) => q.eq("siteId", site._id).eq("status", "published")).take(1);
    return posts[0].slug as string;
  });
  if (!post.ok) throw new Error(post.message);
  postSlug = JSON.parse(post.valueJson) as string;
});

afterAll(async () => {
  await vite?.close();
  restoreEnv?.();
  await stopAppBackend(backend);
});

async function render(pathAndQuery: string): Promise<{ status: number; body: string }> {
  if (!handle) {
    vite = await startRemixVite();
    handle = vite.handle;
  }
  const response = await handle(new Request(`${ORIGIN}${pathAndQuery}`, { headers: { Accept: "text/html" } }));
  expect(response.headers.get("content-type"), pathAndQuery).toMatch(/^text\/html/);
  return { status: response.status, body: await response.text() };
}

/** Every <script> tag except structured data (JSON-LD is data, not code). */
const scriptTags = (html: string) => (html.match(/<script\b[^>]*>/gi) ?? []).filter((t) => !/type="application\/ld\+json"/i.test(t));

describe("zero reader JavaScript", () => {
  test("reader pages (home, post, tag, category, search, subscribe) have no script, no modulepreload, no hydration data", async () => {
    const pages = ["/the-ledger", "/the-ledger/", `/the-ledger/${postSlug}`, "/the-ledger/tag/housing", "/the-ledger/category/markets", "/the-ledger/search?q=budget", "/the-ledger/subscribe"];
    for (const page of pages) {
      const { status, body } = await render(page);
      expect(status, page).toBe(200);
      expect(body, page).toContain("<main");
      // Rendered to one string, not streamed (document.server.tsx): still a whole standards-mode document.
      expect(body, page).toMatch(/^<!DOCTYPE html><html lang="en">[^]*<\/html>/);
      expect(scriptTags(body), page).toEqual([]);
      expect(body, page).not.toMatch(/rel="modulepreload"/);
      expect(body, page).not.toContain("__remixContext");
    }
  });

  test("an unknown post's 404 inside a publication has no scripts either", async () => {
    const { status, body } = await render("/the-ledger/no-such-post-here");
    expect(status).toBe(404);
    expect(body).toMatch(/^<!DOCTYPE html><html lang="en">[^]*<\/html>/);
    expect(scriptTags(body)).toEqual([]);
  });

  test("platform pages still load the app (the check can fail): /login has module scripts and hydration data", async () => {
    const { status, body } = await render("/login");
    expect(status).toBe(200);
    expect(body).toMatch(/^<!DOCTYPE html><html lang="en">[^]*<\/html>/);
    expect(scriptTags(body).length).toBeGreaterThan(0);
    expect(body).toContain("__remixContext");
  });
});
