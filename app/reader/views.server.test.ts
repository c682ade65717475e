import { describe, expect, test } from "vitest";
import type { Id } from "../../convex/_generated/dataModel";
import type { ReaderClient } from "./client.server";
import { countView, viewStats } from "./views.server";

const browser = () =>
  new Request("http://127.0.0.1/daily/a-post", {
    headers: { "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36" },
  });

describe("view counting under a burst of first views", () => {
  test("writes run at most 32 at a time, at most 5,000 wait, and the rest are dropped (never an unbounded pile of requests)", async () => {
    let running = 0;
    let peak = 0;
    const pending: Array<() => void> = [];
    const client = {
      signedIn: false,
      query: async () => null,
      mutation: () =>
        new Promise((resolve) => {
          running++;
          peak = Math.max(peak, running);
          pending.push(() => {
            running--;
            resolve(null);
          });
        }),
    } as unknown as ReaderClient;
    const before = { ...viewStats };
    for (let i = 0; i < 32 + 5_000 + 10; i++) {
      expect(countView(browser(), client, "daily", "post1" as Id<"posts">)).toMatch(/^pr_viewed=post1;/);
    }
    expect(running).toBe(32);
    expect(viewStats.dropped - before.dropped).toBe(10);
    // Each finished write lets a queued one start; all of them are recorded in the end.
    while (pending.length) {
      pending.shift()!();
      await new Promise((r) => setTimeout(r, 0));
    }
    expect(peak).toBe(32);
    expect(viewStats.recorded - before.recorded).toBe(32 + 5_000);
  });
});
