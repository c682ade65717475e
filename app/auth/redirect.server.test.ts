import { describe, expect, test } from "vitest";
import { OPEN_REDIRECT_CORPUS } from "../../tests/support/open-redirect-corpus";
import { safeRedirectTo } from "./redirect.server";

// safeRedirectTo decides where a signed-in user is sent next (Location header). Every value in the
// corpus below is a known way to make a "relative" redirect leave the site: protocol-relative
// paths, backslashes (browsers read `\` as `/`), dot segments that collapse into `//`, control
// characters browsers strip, and percent-encoded (or double-encoded) forms of all of these.

describe("open redirect: safeRedirectTo", () => {
  test.each(OPEN_REDIRECT_CORPUS.map((v) => [JSON.stringify(v), v]))("open redirect: %s falls back to /", (_label, value) => {
    expect(safeRedirectTo(value)).toBe("/");
  });

  test("open redirect: nothing it returns leaves the site, whatever later decoding happens", () => {
    const base = "https://pressroom.example";
    for (const value of OPEN_REDIRECT_CORPUS) {
      const out = safeRedirectTo(value, "/home");
      let decoded = out;
      for (let i = 0; i < 3; i++) decoded = decodeURIComponent(decoded);
      expect(new URL(out, base).origin, value).toBe(base);
      expect(new URL(decoded, base).origin, value).toBe(base);
    }
  });

  test("same-site paths are kept, normalised (dot segments resolved)", () => {
    expect(safeRedirectTo("/a/b?c=1#d")).toBe("/a/b?c=1#d");
    expect(safeRedirectTo("/night-desk/posts?page=2")).toBe("/night-desk/posts?page=2");
    expect(safeRedirectTo("/a/./b/../c")).toBe("/a/c");
    expect(safeRedirectTo("/tag/caf%C3%A9")).toBe("/tag/caf%C3%A9");
    expect(safeRedirectTo("/search?q=a%20b")).toBe("/search?q=a%20b");
    expect(safeRedirectTo("/studio")).toBe("/studio");
    expect(safeRedirectTo(null)).toBe("/");
    expect(safeRedirectTo(undefined, "/x")).toBe("/x");
  });
});
