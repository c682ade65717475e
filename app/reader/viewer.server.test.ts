import { getFunctionName } from "convex/server";
import { afterEach, describe, expect, test, vi } from "vitest";
import type { ReaderClient } from "./client.server";
import type { ResolvedSite } from "./site.server";
import { readerViewer } from "./viewer.server";

// app/reader/viewer.server.ts: the reader header's viewer (contract #16). Anonymous requests must
// not query at all (their pages are shared-cached); signed-in ones ask audience:myStanding once.

const resolved = { site: { _id: "site1", slug: "daily", name: "The Daily" }, base: "/daily", canonicalBase: "http://x/daily" } as unknown as ResolvedSite;

function client(signedIn: boolean, answer: unknown) {
  const calls: Array<{ name: string; args: unknown }> = [];
  const c: ReaderClient = {
    signedIn,
    query: (async (q: Parameters<ReaderClient["query"]>[0], args: unknown) => {
      calls.push({ name: getFunctionName(q), args });
      if (answer instanceof Error) throw answer;
      return answer;
    }) as ReaderClient["query"],
    mutation: (async () => null) as ReaderClient["mutation"],
  };
  return { c, calls };
}

afterEach(() => vi.restoreAllMocks());

describe("readerViewer", () => {
  test("null without a session, and no query at all (anonymous pages stay cacheable)", async () => {
    const { c, calls } = client(false, { name: "Should not be read", access: "paid" });
    expect(await readerViewer(c, resolved)).toBeNull();
    expect(calls).toEqual([]);
  });

  test.each([
    ["paid", "paid"],
    ["comped", "comped"],
    ["free", "free"],
    [null, null],
  ] as const)("access %s on this site → membership %s, in one query for this site", async (access, membership) => {
    const { c, calls } = client(true, { name: "Rea Der", access });
    expect(await readerViewer(c, resolved)).toEqual({ name: "Rea Der", membership });
    expect(calls).toEqual([{ name: "audience:myStanding", args: { siteId: "site1" } }]);
  });

  test("a session Convex no longer knows (myStanding answers null) reads as signed out", async () => {
    const { c } = client(true, null);
    expect(await readerViewer(c, resolved)).toBeNull();
  });

  test("a failed query is logged and the page still renders (no viewer)", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const { c } = client(true, new Error("boom"));
    expect(await readerViewer(c, resolved)).toBeNull();
    expect(log).toHaveBeenCalledTimes(1);
    expect(String(log.mock.calls[0][0])).toContain('site "daily"');
  });
});
