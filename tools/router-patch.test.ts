import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, test } from "vitest";

// patches/@remix-run+router+1.23.3.patch (ADR 016, fourth round): the server's route matcher keeps
// each route tree's flattened, ranked branches (by the tree's identity) and each compiled path
// pattern, instead of rebuilding them three times per request; and (ninth round) it skips a branch
// whose path starts with a static segment other than the pathname's first, without running its
// matchers. `npm ci` applies it (postinstall).
// What it must not change: which route a path matches, and its params, for any tree.

const require = createRequire(import.meta.url);
// The file the server loads (react-router's and Remix's CommonJS builds require it).
const router = require("@remix-run/router") as typeof import("@remix-run/router");

type R = { id: string; path?: string; index?: boolean; caseSensitive?: boolean; children?: R[] };

/** A tree shaped like the app's: a root layout, static studio routes, and `$site` dynamic routes. */
const appLike = (): R[] => [
  {
    id: "root",
    path: "",
    children: [
      { id: "home", index: true },
      { id: "login", path: "login" },
      { id: "studio", path: "studio", children: [{ id: "studio-index", index: true }, { id: "studio-site", path: ":siteId", children: [{ id: "posts-edit", path: "posts/:postId" }, { id: "design", path: "design" }] }] },
      { id: "site", path: ":site", children: [{ id: "site-index", index: true }, { id: "post", path: ":postSlug" }, { id: "tag", path: "tag/:tagSlug" }, { id: "rss", path: "rss.xml" }, { id: "splat", path: "*" }] },
      { id: "Case", path: "CaseSensitive", caseSensitive: true },
      { id: "optional", path: "opt/:lang?/about" },
    ],
  },
];

const paths = ["/", "/login", "/studio", "/studio/s1/posts/p9", "/studio/s1/design", "/acme", "/acme/hello-world", "/acme/tag/news", "/acme/rss.xml", "/acme/a/b/c", "/casesensitive", "/CaseSensitive", "/opt/about", "/opt/fr/about", "/acme/%E2%9C%93"];

const summary = (routes: R[], path: string) =>
  router.matchRoutes(routes as never, path)?.map((m) => ({ id: (m.route as R).id, params: { ...m.params }, pathname: m.pathname })) ?? null;

describe("the route matcher patch", () => {
  test("is applied to the router the server loads", () => {
    expect(readFileSync(require.resolve("@remix-run/router"), "utf8")).toContain("Pressroom patch");
  });

  test("a tree matched again gives the same routes and params as on its first match", () => {
    const tree = appLike();
    const first = paths.map((p) => summary(tree, p));
    // Spot checks that the expected routes are what match (so equality below is not vacuous).
    expect(first[6]?.map((m) => m.id)).toEqual(["root", "site", "post"]);
    expect(first[6]?.at(-1)?.params).toEqual({ site: "acme", postSlug: "hello-world" });
    expect(first[3]?.at(-1)).toMatchObject({ id: "posts-edit", params: { siteId: "s1", postId: "p9" } });
    expect(first[10]?.map((m) => m.id)).toEqual(["root", "site", "site-index"]); // case-sensitive route not matched
    expect(first[11]?.at(-1)?.id).toBe("Case");
    expect(first[13]?.at(-1)?.params).toMatchObject({ lang: "fr" });
    expect(first[14]?.at(-1)?.params).toMatchObject({ postSlug: "✓" });
    for (let round = 0; round < 3; round++) expect(paths.map((p) => summary(tree, p))).toEqual(first);
  });

  test("two trees never share their branches: each matches by its own routes", () => {
    const a = appLike();
    const b: R[] = [{ id: "only", path: "acme/:slug" }];
    expect(summary(a, "/acme/x")?.at(-1)?.id).toBe("post");
    expect(summary(b, "/acme/x")?.at(-1)).toMatchObject({ id: "only", params: { slug: "x" } });
    expect(summary(b, "/login")).toBeNull();
    expect(summary(a, "/login")?.at(-1)?.id).toBe("login");
  });

  test("the same pattern compiled with and without `end` or case sensitivity keeps each meaning", () => {
    expect(router.matchPath({ path: "/a/:x", end: false }, "/a/1/more")?.params).toEqual({ x: "1" });
    expect(router.matchPath({ path: "/a/:x", end: true }, "/a/1/more")).toBeNull();
    expect(router.matchPath({ path: "/A", caseSensitive: true }, "/a")).toBeNull();
    expect(router.matchPath({ path: "/A", caseSensitive: false }, "/a")).not.toBeNull();
    // Many distinct patterns (a caller matching arbitrary ones): still correct past the memo's bound.
    for (let i = 0; i < 1500; i++) expect(router.matchPath(`/p${i}/:id`, `/p${i}/v`)?.params).toEqual({ id: "v" });
    expect(router.matchPath("/p3/:id", "/p3/w")?.params).toEqual({ id: "w" });
  });

  test("a branch starting with another static segment is skipped unrun; the match is the same as running it", () => {
    // 40 static sections before the reader's dynamic `:site` routes, as the studio's come first in rank.
    const tree: R[] = [
      {
        id: "root",
        path: "",
        children: [
          ...Array.from({ length: 40 }, (_, i) => ({ id: `s${i}`, path: `section${i}/:x` })),
          { id: "site", path: ":site", children: [{ id: "post", path: ":postSlug" }] },
        ],
      },
    ];
    const match = String.prototype.match;
    let calls = 0;
    String.prototype.match = function (this: string, ...args: Parameters<typeof match>) {
      calls++;
      return match.apply(this, args);
    } as typeof match;
    try {
      summary(tree, "/acme/hello"); // flattens and compiles once
      calls = 0;
      expect(summary(tree, "/acme/hello")?.at(-1)).toMatchObject({ id: "post", params: { site: "acme", postSlug: "hello" } });
      // Root, site and post: without the skip, each of the 40 sections ran its matchers first (80+).
      expect(calls).toBeLessThan(10);
      calls = 0;
      expect(summary(tree, "/SECTION7/v")?.at(-1)).toMatchObject({ id: "s7", params: { x: "v" } });
    } finally {
      String.prototype.match = match;
    }
  });

  test("what the skip must not change: case, encoding, extra slashes, case-sensitive and optional routes", () => {
    const tree = appLike();
    expect(summary(tree, "/STUDIO/s1/posts/p9")?.at(-1)).toMatchObject({ id: "posts-edit", params: { siteId: "s1", postId: "p9" } });
    expect(summary(tree, "/Login/")?.at(-1)?.id).toBe("login");
    expect(summary(tree, "/log%69n")?.at(-1)?.id).toBe("login");
    expect(summary(tree, "/login%2Fx")?.at(-1)).toMatchObject({ id: "site-index", params: { site: "login/x" } });
    // An empty first segment: no route, as the unpatched router answers (compared by hand against it).
    expect(summary(tree, "//login")).toBeNull();
    // "ſ" (long s) is not "s" to a case-insensitive RegExp: no studio route.
    expect(summary(tree, "/ſtudio")?.at(-1)).toMatchObject({ id: "site-index", params: { site: "ſtudio" } });
    expect(summary(tree, "/casesensitive")?.at(-1)?.id).toBe("site-index");
    expect(summary(tree, "/CaseSensitive")?.at(-1)?.id).toBe("Case");
    expect(summary(tree, "/opt/fr/about")?.at(-1)?.params).toMatchObject({ lang: "fr" });
  });
});
