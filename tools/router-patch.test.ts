import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, test } from "vitest";

// patches/@remix-run+router+1.23.3.patch (ADR 016, fourth round): the server's route matcher keeps
// each route tree's flattened, ranked branches (by the tree's identity) and each compiled path
// pattern, instead of rebuilding them three times per request; and (ninth round) it skips a branch
// whose path starts with a static segment other than the pathname's first, without running its
// matchers; (thirteenth round) any static segment, and the count of segments when the branch has no
// splat. `npm ci` applies it (postinstall). The package's UMD build is left as it ships, which gives
// the tests below an unpatched matcher to compare against.
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

/** How many times `run` ran a path pattern (the matcher's RegExps are run with String.prototype.match). */
function matcherRuns(run: () => void): number {
  const match = String.prototype.match;
  let calls = 0;
  String.prototype.match = function (this: string, ...args: Parameters<typeof match>) {
    calls++;
    return match.apply(this, args);
  } as typeof match;
  try {
    run();
  } finally {
    String.prototype.match = match;
  }
  return calls;
}

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
    summary(tree, "/acme/hello"); // flattens and compiles once
    const runs = matcherRuns(() => expect(summary(tree, "/acme/hello")?.at(-1)).toMatchObject({ id: "post", params: { site: "acme", postSlug: "hello" } }));
    // Root, site and post: without the skip, each of the 40 sections ran its matchers first (80+).
    expect(runs).toBeLessThan(10);
    expect(summary(tree, "/SECTION7/v")?.at(-1)).toMatchObject({ id: "s7", params: { x: "v" } });
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

describe("the patched matcher against the unpatched one (the package's UMD build, which the patch leaves alone)", () => {
  const pristine = require("@remix-run/router/dist/router.umd.js") as typeof import("@remix-run/router");
  const sameAs = (routes: R[], path: string) => {
    const want = pristine.matchRoutes(routes as never, path)?.map((m) => ({ id: (m.route as R).id, params: { ...m.params }, pathname: m.pathname, base: m.pathnameBase })) ?? null;
    const got = router.matchRoutes(routes as never, path)?.map((m) => ({ id: (m.route as R).id, params: { ...m.params }, pathname: m.pathname, base: m.pathnameBase })) ?? null;
    expect(got, `${path}`).toEqual(want);
    return got;
  };

  test("is really another copy (the comparison below is not the patched code against itself)", () => {
    expect(readFileSync(require.resolve("@remix-run/router/dist/router.umd.js"), "utf8")).not.toContain("Pressroom patch");
  });

  test("random trees and paths: the same route, params and pathnames", () => {
    // A seeded generator, so a failure names a case that can be run again.
    let seed = 20261208;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const pick = <T>(xs: T[]) => xs[rand(xs.length)];
    const words = ["tag", "Tag", "rss.xml", "search", "a", "b", "post", "feed.json", "ſearch", "SEARCH"];
    const segment = () => pick([...words, ":p", ":q", ":p?", "*"]);
    let ids = 0;
    const tree = (depth: number): R[] =>
      Array.from({ length: 1 + rand(4) }, () => {
        const index = depth > 0 && rand(5) === 0;
        if (index) return { id: `r${ids++}`, index: true };
        const segs = Array.from({ length: 1 + rand(2) }, segment);
        // A splat only at the end, as the router requires; params named apart within a branch.
        const cut = segs.indexOf("*");
        const path = (cut >= 0 ? segs.slice(0, cut + 1) : segs).map((s) => s.replace(/^:([pq])/, `:$1${ids}`)).join("/");
        const node: R = { id: `r${ids++}`, path, caseSensitive: rand(10) === 0 };
        if (depth < 2 && !path.endsWith("*") && rand(2) === 0) node.children = tree(depth + 1);
        return node;
      });
    const pathOf = () => {
      const n = rand(5);
      const segs = Array.from({ length: n }, () => pick([...words, "x", "", "%2F", "caf%C3%A9", "Rss.XML"]));
      return pick(["/", "//", "/"]) + segs.join("/") + pick(["", "/", "//"]);
    };
    let matched = 0;
    for (let t = 0; t < 150; t++) {
      const routes: R[] = [{ id: "root", path: "", children: tree(0) }];
      for (let p = 0; p < 40; p++) if (sameAs(routes, pathOf())) matched++;
    }
    // Not vacuous: many paths matched some route.
    expect(matched).toBeGreaterThan(500);
  });

  test("an app-like tree with the reader's two-segment routes: the same answers", () => {
    const tree: R[] = [
      {
        id: "root",
        path: "",
        children: [
          { id: "studio", path: "studio/:siteId", children: [{ id: "tags", path: "tags" }, { id: "post", path: "posts/:postId" }] },
          {
            id: "site",
            path: ":site",
            children: [
              { id: "index", index: true },
              { id: "slug", path: ":postSlug" },
              { id: "search", path: "search" },
              { id: "tag", path: "tag/:tagSlug" },
              { id: "tagrss", path: "tag/:tagSlug/rss.xml" },
              { id: "cat", path: "category/:c" },
              { id: "splat", path: "*" },
            ],
          },
        ],
      },
    ];
    for (const p of ["/acme/search", "/acme/SEARCH/", "/acme/tag/x", "/acme/tag/x/rss.xml", "/acme/tag/x/RSS.xml", "/acme/tag", "/acme/tag/x/y/z", "/acme/category/c", "/studio/s/tags", "/studio/s/nope", "/acme", "/acme/", "//acme/search", "/acme//search", "/acme/search//"]) {
      sameAs(tree, p);
    }
  });
});

describe("the skip past the first segment (issue #18, thirteenth round)", () => {
  test("under a dynamic first segment, branches with another static segment or another length are skipped unrun", () => {
    // The reader's shape: every route under `:site`, most with a static second segment.
    const tree: R[] = [
      {
        id: "root",
        path: "",
        children: [
          {
            id: "site",
            path: ":site",
            children: [
              ...Array.from({ length: 40 }, (_, i) => ({ id: `s${i}`, path: `section${i}/:x` })),
              ...Array.from({ length: 20 }, (_, i) => ({ id: `f${i}`, path: `feed${i}.xml` })),
              { id: "search", path: "search" },
              { id: "post", path: ":postSlug" },
            ],
          },
        ],
      },
    ];
    summary(tree, "/acme/search");
    // Root, site and the leaf: without the skip, the 40 two-segment sections and 20 feeds ran first.
    expect(matcherRuns(() => expect(summary(tree, "/acme/search")?.at(-1)?.id).toBe("search"))).toBeLessThan(10);
    expect(matcherRuns(() => expect(summary(tree, "/acme/hello")?.at(-1)).toMatchObject({ id: "post", params: { site: "acme", postSlug: "hello" } }))).toBeLessThan(10);
    expect(summary(tree, "/acme/SECTION7/v")?.at(-1)).toMatchObject({ id: "s7", params: { x: "v" } });
  });
});
