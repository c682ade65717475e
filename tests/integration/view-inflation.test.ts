// View inflation (#12 item 10): anyone could add 100 views to any post per call through the public
// reader:recordViews (and one per call through reader:recordView). Views now come only from the
// app server: the counting mutation is internal, and the app calls it with its admin key, one
// entry per view with a token it issued, counted at most once. This runs a real local backend over
// HTTP, so "public" means what it means on Convex: callable by a client without the admin key.
import { ConvexHttpClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { jsonToConvex } from "convex/values";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import type { LocalBackend } from "../../local-backend/src/backend";
import { countView, sharedViewBatcher } from "../../app/reader/views.server";
import { keepProcessEnv, startAppBackend, stopAppBackend } from "../support/live-backend";

let backend: LocalBackend;
let siteSlug: string;
let postId: Id<"posts">;
const restoreEnv = keepProcessEnv("CONVEX_URL", "CONVEX_ADMIN_KEY", "READER_CACHE");

beforeAll(async () => {
  backend = await startAppBackend("view-inflation-");
  const admin = new ConvexHttpClient(backend.url);
  (admin as unknown as { setAdminAuth(key: string): void }).setAdminAuth(backend.adminKey);
  const seeded = await admin.mutation(makeFunctionReference<"mutation", Record<string, never>, { sites: string[] }>("demo:seedDemo"), {});
  siteSlug = seeded.sites[0];
  const latest = await new ConvexHttpClient(backend.url).query(api.reader.latest, { siteSlug, paginationOpts: { numItems: 1, cursor: null } });
  postId = latest.page[0]._id;
}, 120_000);

afterAll(async () => {
  restoreEnv();
  await stopAppBackend(backend);
});

/** The post's view count, read from storage (no public or member query needed). */
function storedViews(id: Id<"posts">): number {
  const table = backend.store.listTables().get("postViewShards");
  if (table === undefined) return 0;
  let n = 0;
  for (const row of backend.store.iterateTable(table)) {
    const shard = jsonToConvex(JSON.parse(row.json)) as { postId: string; count: number };
    if (shard.postId === id) n += shard.count;
  }
  return n;
}

describe("view counting over HTTP", () => {
  test("view inflation: anonymous caller adds views through reader:recordViews or reader:recordView: refused, nothing counted", async () => {
    const anonymous = new ConvexHttpClient(backend.url);
    const before = storedViews(postId);
    const attempts: Array<[string, Record<string, unknown>]> = [
      ["reader:recordViews", { siteSlug, postIds: Array(100).fill(postId) }],
      ["reader:recordViews", { siteSlug, views: Array.from({ length: 100 }, (_, i) => ({ postId, token: `forged-token-${i}-0000000000` })) }],
      ["reader:recordView", { siteSlug, postId }],
    ];
    for (const [name, args] of attempts) {
      const outcome = await anonymous.mutation(makeFunctionReference<"mutation">(name), args).then(
        () => "accepted",
        (e: Error) => e.message,
      );
      expect(outcome, name).not.toBe("accepted");
    }
    expect(storedViews(postId)).toBe(before);
  });

  test("the app server counts a reader's first view once, with its key; the same reader's repeat is not counted", async () => {
    process.env.CONVEX_URL = backend.url;
    process.env.CONVEX_ADMIN_KEY = backend.adminKey;
    process.env.READER_CACHE = "off";
    const before = storedViews(postId);
    const request = (cookie?: string) =>
      new Request(`http://127.0.0.1/${siteSlug}/a-post`, {
        headers: { "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36", ...(cookie ? { cookie } : {}) },
      });
    const cookie = countView(request(), siteSlug, postId);
    expect(cookie).toMatch(/^pr_viewed=/);
    expect(countView(request(cookie!.split(";")[0]), siteSlug, postId)).toBeNull();
    const views = sharedViewBatcher();
    views.flush();
    await views.idle();
    expect(views.stats).toMatchObject({ failed: 0, dropped: 0 });
    expect(storedViews(postId)).toBe(before + 1);
  });
});
