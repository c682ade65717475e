import { getFunctionName } from "convex/server";
import { afterEach, describe, expect, test, vi } from "vitest";
import type { ConvexHttpClient } from "convex/browser";
import { clientFor, type ReaderClient } from "./client.server";
import type { ResolvedSite } from "./site.server";
import { readerMembership } from "./audience.server";
import { readerViewer } from "./viewer.server";

// app/reader/viewer.server.ts: the reader header's viewer (contract #16). Anonymous requests must
// not query at all (their pages are shared-cached); signed-in ones ask reader:viewerPage once, with
// the post page's slug when there is one (issue #18).

const resolved = { site: { _id: "site1", slug: "daily", name: "The Daily" }, base: "/daily", canonicalBase: "http://x/daily" } as unknown as ResolvedSite;

/** A request's client as the app makes it (clientFor, with its per-request answers) over a fake Convex. */
function client(signedIn: boolean, answer: unknown) {
  const calls: Array<{ name: string; args: unknown }> = [];
  const convex = {
    query: async (q: Parameters<ReaderClient["query"]>[0], args: unknown) => {
      calls.push({ name: getFunctionName(q), args });
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
  const c: ReaderClient = clientFor(convex as unknown as ConvexHttpClient, signedIn, false);
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
    const { c, calls } = client(true, { standing: { name: "Rea Der", access, emailState: null }, bodyKeys: [] });
    expect(await readerViewer(c, resolved)).toEqual({ name: "Rea Der", membership });
    expect(calls).toEqual([{ name: "reader:viewerPage", args: { siteSlug: "daily", slugs: [] } }]);
  });

  test("a post page's slug is asked in the same call, and the page's own asks (the join form's membership) reuse it", async () => {
    const { c, calls } = client(true, { standing: { name: "Rea Der", access: "paid", emailState: "subscribed" }, bodyKeys: [{ slug: "hello", bodyKey: "k" }] });
    const [viewer, membership] = await Promise.all([readerViewer(c, resolved, "hello"), readerMembership(c, "daily", "hello")]);
    expect(viewer).toEqual({ name: "Rea Der", membership: "paid" });
    expect(membership).toEqual({ following: true });
    expect(calls).toEqual([{ name: "reader:viewerPage", args: { siteSlug: "daily", slugs: ["hello"] } }]);
  });

  test("a session Convex no longer knows (no standing) reads as signed out, without an error", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const { c } = client(true, { standing: null, bodyKeys: [] });
    expect(await readerViewer(c, resolved)).toBeNull();
    expect(log).not.toHaveBeenCalled();
  });

  test("a failed query is logged and the page still renders (no viewer)", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const { c } = client(true, new Error("boom"));
    expect(await readerViewer(c, resolved)).toBeNull();
    expect(log).toHaveBeenCalledTimes(1);
    expect(String(log.mock.calls[0][0])).toContain('site "daily"');
  });
});
