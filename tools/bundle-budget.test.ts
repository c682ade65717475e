// tools/bundle-budget.ts on a small fake client build: which files count for which page, gzip
// totals against the targets, TipTap detection, and the reader row.
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, test } from "vitest";
import { BUDGETS, computeBudgets, formatBudgets, jsFor, readRemixManifest, routeChain, type RemixManifest } from "./bundle-budget";

/** Text gzip cannot shrink much (base64 of random bytes: about 3/4 of its length gzipped). */
function noise(bytes: number, _seed: number): string {
  return randomBytes(Math.ceil(bytes)).toString("base64").slice(0, Math.ceil(bytes));
}

const MANIFEST: RemixManifest = {
  entry: { module: "/assets/entry.js", imports: ["/assets/components.js"] },
  routes: {
    root: { id: "root", module: "/assets/root.js", imports: ["/assets/components.js", "/assets/client.js"] },
    "routes/studio.$siteId": { id: "routes/studio.$siteId", parentId: "root", module: "/assets/studio.js", imports: ["/assets/live.js"] },
    "routes/studio.$siteId._index": { id: "routes/studio.$siteId._index", parentId: "routes/studio.$siteId", module: "/assets/posts.js", imports: ["/assets/live.js"] },
    "routes/studio.$siteId.posts.$postId": {
      id: "routes/studio.$siteId.posts.$postId",
      parentId: "routes/studio.$siteId",
      module: "/assets/editor-route.js",
      imports: ["/assets/live.js", "/assets/editor-ui.js"],
    },
    "routes/$site": { id: "routes/$site", parentId: "root", module: "/assets/site.js", imports: [] },
    "routes/$site._index": { id: "routes/$site._index", parentId: "routes/$site", module: "/assets/site-home.js", imports: [] },
    "routes/about": { id: "routes/about", parentId: "root", module: "/assets/about.js", imports: [] },
  },
};

function files(overrides: Record<string, string> = {}): Record<string, string> {
  const sizes: Record<string, number> = {
    "/assets/entry.js": 2000,
    "/assets/components.js": 40_000,
    "/assets/client.js": 10_000,
    "/assets/root.js": 3000,
    "/assets/studio.js": 5000,
    "/assets/posts.js": 4000,
    "/assets/live.js": 1000,
    "/assets/editor-route.js": 6000,
    "/assets/editor-ui.js": 20_000,
    "/assets/site.js": 1000,
    "/assets/site-home.js": 1000,
    "/assets/about.js": 1000,
  };
  return { ...Object.fromEntries(Object.entries(sizes).map(([u, n], i) => [u, noise(n, i + 1)])), ...overrides };
}

const gz = (s: string) => gzipSync(Buffer.from(s), { level: 9 }).length;

function budgets(contents: Record<string, string>, readerScriptsOff = true) {
  return computeBudgets({ manifest: MANIFEST, read: (u) => Buffer.from(contents[u]!), readerScriptsOff });
}

describe("bundle budget", () => {
  test("a route's first load is the entry and every route of its chain with their imports, each file once", () => {
    expect(routeChain(MANIFEST, "routes/studio.$siteId._index").map((r) => r.id)).toEqual(["root", "routes/studio.$siteId", "routes/studio.$siteId._index"]);
    expect([...jsFor(MANIFEST, "routes/studio.$siteId._index")].sort()).toEqual(
      ["/assets/client.js", "/assets/components.js", "/assets/entry.js", "/assets/live.js", "/assets/posts.js", "/assets/root.js", "/assets/studio.js"].sort(),
    );
    expect(() => routeChain(MANIFEST, "routes/missing")).toThrow(/not in the manifest/);
  });

  test("studio first load and the editor's extra are gzipped sums of exactly their files", () => {
    const contents = files();
    const [studio, tiptap, editor, reader] = budgets(contents);
    const studioFiles = ["/assets/entry.js", "/assets/components.js", "/assets/client.js", "/assets/root.js", "/assets/studio.js", "/assets/posts.js", "/assets/live.js"];
    expect(studio!.value).toBe(studioFiles.reduce((s, u) => s + gz(contents[u]!), 0));
    expect(studio!.ok).toBe(true);
    expect(tiptap).toMatchObject({ value: 0, ok: true });
    // Shared files (live.js) are paid by the posts list already: the editor adds only its own.
    expect(editor!.value).toBe(gz(contents["/assets/editor-route.js"]!) + gz(contents["/assets/editor-ui.js"]!));
    expect(reader).toMatchObject({ value: 0, ok: true });
    expect(reader!.note).toContain("2 routes under routes/$site");
  });

  test("over budget: a studio first load of 250 kB gzipped or more fails, and the table says OVER", () => {
    const rows = budgets(files({ "/assets/components.js": noise(BUDGETS.studioFirstLoad * 1.6, 9) }));
    expect(rows[0]!.value).toBeGreaterThanOrEqual(BUDGETS.studioFirstLoad);
    expect(rows[0]!.ok).toBe(false);
    expect(formatBudgets(rows)).toMatch(/studio first load.*OVER/);
  });

  test("TipTap or ProseMirror code in a studio first-load chunk fails, named", () => {
    const rows = budgets(files({ "/assets/live.js": `${noise(500, 3)}class="ProseMirror-focused"` }));
    expect(rows[1]).toMatchObject({ value: 1, ok: false, note: "/assets/live.js" });
    // The same code in the editor route's own chunk is fine.
    expect(budgets(files({ "/assets/editor-ui.js": "prosemirror-model" }))[1]).toMatchObject({ value: 0, ok: true });
  });

  test("reader pages: a reader route without scripts: false counts its JS and fails", () => {
    const contents = files();
    const reader = budgets(contents, false)[3]!;
    expect(reader.ok).toBe(false);
    const readerFiles = ["/assets/entry.js", "/assets/components.js", "/assets/client.js", "/assets/root.js", "/assets/site.js"];
    expect(reader.value).toBe(readerFiles.reduce((s, u) => s + gz(contents[u]!), 0));
  });
});

describe("readRemixManifest", () => {
  let dir = "";
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test("reads window.__remixManifest from assets/manifest-<hash>.js; a missing build is a clear error", () => {
    dir = mkdtempSync(path.join(tmpdir(), "bundle-budget-"));
    expect(() => readRemixManifest(dir)).toThrow();
    mkdirSync(path.join(dir, "assets"));
    expect(() => readRemixManifest(dir)).toThrow(/build the app first/);
    writeFileSync(path.join(dir, "assets/manifest-1a2b3c4d.js"), `window.__remixManifest=${JSON.stringify(MANIFEST)};`);
    expect(readRemixManifest(dir)).toEqual(MANIFEST);
  });
});
