import { describe, expect, test } from "vitest";
import type { Id } from "../../convex/_generated/dataModel";
import { countView, ViewBatcher, type View } from "./views.server";

const browser = (cookie?: string) =>
  new Request("http://127.0.0.1/daily/a-post", {
    headers: {
      "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
      ...(cookie ? { cookie } : {}),
    },
  });
const id = (s: string) => s as Id<"posts">;
const tick = () => new Promise((r) => setTimeout(r, 0));

/** A sender whose writes finish when the test says so. */
function manualSender() {
  const calls: Array<{ siteSlug: string; postIds: string[]; tokens: string[]; done: () => void; fail: () => void }> = [];
  const send = (siteSlug: string, views: View[]) =>
    new Promise<void>((resolve, reject) =>
      calls.push({
        siteSlug,
        postIds: views.map((v) => v.postId),
        tokens: views.map((v) => v.token),
        done: resolve,
        fail: () => reject(new Error("down")),
      }),
    );
  return { calls, send };
}

describe("view counting", () => {
  test("a first view is queued and sets the cookie; a repeat, a bot or a prefetch is not counted", () => {
    const { calls, send } = manualSender();
    const views = new ViewBatcher(send, { delayMs: 60_000 });
    expect(countView(browser(), "daily", id("p1"), views)).toBe("pr_viewed=p1; Path=/; HttpOnly; SameSite=Lax");
    expect(countView(browser("pr_viewed=p0.p1"), "daily", id("p1"), views)).toBeNull();
    const bot = new Request("http://127.0.0.1/daily/a-post", { headers: { "user-agent": "Googlebot/2.1 (+http://www.google.com/bot.html)" } });
    expect(countView(bot, "daily", id("p1"), views)).toBeNull();
    const prefetch = new Request(browser(), { headers: { ...Object.fromEntries(browser().headers), "sec-purpose": "prefetch" } });
    expect(countView(prefetch, "daily", id("p1"), views)).toBeNull();
    views.flush();
    expect(calls.map((c) => [c.siteSlug, c.postIds])).toEqual([["daily", ["p1"]]]);
  });

  test("each view carries a fresh, unguessable token (the backend counts a token once)", () => {
    const { calls, send } = manualSender();
    const views = new ViewBatcher(send, { delayMs: 60_000 });
    for (let i = 0; i < 50; i++) views.add("daily", id("p1"));
    views.flush();
    const tokens = calls.flatMap((c) => c.tokens);
    expect(tokens).toHaveLength(50);
    expect(new Set(tokens).size).toBe(50);
    for (const token of tokens) expect(token).toMatch(/^[A-Za-z0-9_-]{22}$/); // 128 random bits, base64url
  });

  test("views are sent in batches per site: when a batch is full, or after the delay", async () => {
    const { calls, send } = manualSender();
    const views = new ViewBatcher(send, { maxBatch: 3, delayMs: 20 });
    for (const p of ["a", "b", "c", "d"]) views.add("daily", id(p));
    views.add("other", id("x"));
    expect(calls.map((c) => [c.siteSlug, c.postIds])).toEqual([["daily", ["a", "b", "c"]]]);
    await new Promise((r) => setTimeout(r, 40));
    expect(calls.map((c) => [c.siteSlug, c.postIds])).toEqual([
      ["daily", ["a", "b", "c"]],
      ["daily", ["d"]],
      ["other", ["x"]],
    ]);
    calls.forEach((c) => c.done());
    await tick();
    expect(views.stats).toMatchObject({ recorded: 5, failed: 0, dropped: 0, batches: 3 });
  });

  test("under a burst, writes are bounded (batches in flight, views waiting) and the excess is dropped, never piled up", async () => {
    const { calls, send } = manualSender();
    const views = new ViewBatcher(send, { maxBatch: 10, maxInFlight: 2, maxWaiting: 50, delayMs: 60_000 });
    for (let i = 0; i < 70; i++) views.add("daily", id(`p${i}`));
    expect(calls).toHaveLength(2); // two batches of ten written at once; three more full ones wait
    expect(views.stats.dropped).toBe(20);
    calls[0].fail();
    calls[1].done();
    await tick();
    expect(calls).toHaveLength(4);
    // Each finished batch lets a waiting one start.
    for (let finished = 2; finished < calls.length; finished++) {
      calls[finished].done();
      await tick();
    }
    expect(views.stats).toMatchObject({ recorded: 40, failed: 10, dropped: 20, batches: 5 });
    // Once the backlog is written, new views are accepted again.
    views.add("daily", id("late"));
    expect(views.stats.dropped).toBe(20);
  });
});
