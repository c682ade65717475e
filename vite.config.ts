/// <reference types="vitest/config" />
import { vitePlugin as remix } from "@remix-run/dev";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { defineConfig, type Rollup } from "vite";
import remixConfig from "./remix.config";

/**
 * Rollup's names for the client chunks of resource routes (route files without a default export:
 * feeds, sitemaps, OG images, CSV export, token and logout endpoints). Remix 2's Vite plugin makes
 * every route a client entry and its browser manifest needs a chunk for each, so a resource route
 * always yields an empty one (remix-run/remix#9055, closed unfixed when Remix 2 was sunset): that
 * warning is expected for exactly these chunks, and only for them.
 */
function resourceRouteChunkNames(routesDir = path.resolve("app/routes")): Set<string> {
  const names = new Set<string>();
  for (const file of readdirSync(routesDir)) {
    if (!/\.tsx?$/.test(file) || /\.test\./.test(file)) continue;
    if (/^export\s+default\b/m.test(readFileSync(path.join(routesDir, file), "utf8"))) continue;
    // Rollup's sanitizeFileName: "$site.rss[.]xml" -> "_site.rss_._xml".
    // eslint-disable-next-line no-control-regex
    names.add(file.replace(/\.tsx?$/, "").replace(/[\0-\x1F"#$%&*+,:;<=>?[\]^`{|}\u007F]/g, "_"));
  }
  return names;
}

function onwarn(warning: Rollup.RollupLog, warn: (w: Rollup.RollupLog) => void) {
  if (warning.code === "EMPTY_BUNDLE" && warning.names?.length && warning.names.every((n) => resourceChunks.has(n))) return;
  warn(warning);
}
const resourceChunks = process.env.VITEST ? new Set<string>() : resourceRouteChunkNames();

declare module "@remix-run/node" {
  interface Future {
    v3_singleFetch: true;
  }
}

export default defineConfig({
  // Vitest loads this file too; the Remix plugin only belongs in app builds.
  plugins: [process.env.VITEST ? null : remix(remixConfig)],
  server: { host: "127.0.0.1" },
  build: { rollupOptions: { onwarn } },
  test: {
    // Three test files at a time even on 2 cores (Vitest's default is cores - 1 = 1): most files
    // spend their time waiting on backends, app servers and child processes, not on the CPU
    // (measured: 165 files in 510 s with three, while the app builds beside them).
    maxWorkers: 3,
    projects: [
      {
        test: {
          name: "node",
          environment: "node",
          include: [
            "local-backend/test/**/*.test.ts",
            "tools/**/*.test.ts",
            "tests/integration/**/*.test.ts",
            "tests/support/**/*.test.ts",
            "app/**/*.test.ts",
            "convex/**/*.test.ts",
          ],
          exclude: ["local-backend/test/conformance/convex-test.test.ts", "**/node_modules/**"],
          // The local backend's esbuild bundles of convex/ folders are loaded by Node itself, as in production.
          server: { deps: { external: [/local-backend-build-/] } },
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "convex-test",
          environment: "edge-runtime",
          include: ["local-backend/test/conformance/convex-test.test.ts"],
          server: { deps: { inline: ["convex-test"] } },
        },
      },
    ],
  },
});
