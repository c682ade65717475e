/// <reference types="vitest/config" />
import { vitePlugin as remix } from "@remix-run/dev";
import { defineConfig } from "vite";
import remixConfig from "./remix.config";

declare module "@remix-run/node" {
  interface Future {
    v3_singleFetch: true;
  }
}

export default defineConfig({
  // Vitest loads this file too; the Remix plugin only belongs in app builds.
  plugins: [process.env.VITEST ? null : remix(remixConfig)],
  server: { host: "127.0.0.1" },
  test: {
    // Two test files at a time even on 2 cores (Vitest's default is cores - 1 = 1): most files
    // spend their time waiting on backends, app servers and child processes, not on the CPU.
    maxWorkers: 2,
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
