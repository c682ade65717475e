import { describe, expect, test } from "vitest";
import { DocumentCache, documentCacheKey } from "./document.server";

const get = (url = "http://h/the-ledger/") => new Request(url);
const h = (init: Record<string, string>) => new Headers(init);
const PUBLIC = { "Cache-Control": "public, max-age=0, must-revalidate", ETag: 'W/"abc"' };

describe("documentCacheKey", () => {
  test("anonymous public pages with an ETag are cached by URL and ETag", () => {
    expect(documentCacheKey(get(), 200, h(PUBLIC))).toBe('http://h/the-ledger/\nW/"abc"');
    expect(documentCacheKey(get("http://h/the-ledger/?cursor=x"), 200, h(PUBLIC))).toBe('http://h/the-ledger/?cursor=x\nW/"abc"');
  });

  test.each([
    ["private (signed-in) pages", 200, { "Cache-Control": "private, no-store" }],
    ["pages that set a cookie", 200, { ...PUBLIC, "Set-Cookie": "pr_viewed=x" }],
    ["pages without an ETag", 200, { "Cache-Control": "public, max-age=0, must-revalidate" }],
    ["browser-only caching", 200, { ...PUBLIC, "Cache-Control": "private, max-age=0, must-revalidate" }],
    ["404s", 404, PUBLIC],
    ["500s", 500, PUBLIC],
  ])("never %s", (_what, status, headers) => {
    expect(documentCacheKey(get(), status as number, h(headers as Record<string, string>))).toBeNull();
  });

  test("never non-GET requests", () => {
    expect(documentCacheKey(new Request("http://h/x", { method: "POST" }), 200, h(PUBLIC))).toBeNull();
  });
});

describe("DocumentCache", () => {
  test("keeps at most maxBytes, dropping the least recently used", () => {
    const c = new DocumentCache(1600); // eight documents of 100 characters (200 bytes)
    for (const k of "abcdefgh") c.set(k, k.repeat(100));
    expect(c.size).toBe(8);
    expect(c.get("a")).toBeDefined(); // a is now the most recent
    c.set("i", "i".repeat(100)); // over budget: drops b, the least recent
    expect(c.get("b")).toBeUndefined();
    expect(c.get("a")).toBe("a".repeat(100));
    expect(c.get("i")).toBeDefined();
    expect(c.size).toBe(8);
  });

  test("documents larger than an eighth of the budget are not kept", () => {
    const c = new DocumentCache(1600);
    c.set("big", "x".repeat(101));
    expect(c.get("big")).toBeUndefined();
  });
});
