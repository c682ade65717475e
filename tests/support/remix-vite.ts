// The whole Remix app in-process, as `remix vite:dev` serves it (Vite SSR of app/), for tests that
// need full documents, `.data` responses and resource routes exactly as a browser gets them.
import path from "node:path";

export interface RemixViteApp {
  /** Remix's request handler over the server build. */
  handle(request: Request): Promise<Response>;
  /** The server build (its entry module exports the production server's `front`). */
  build: Record<string, any>;
  /** A module as the build's loaders see it (the same instance). */
  ssrLoadModule(id: string): Promise<Record<string, any>>;
  close(): Promise<void>;
}

export async function startRemixVite(): Promise<RemixViteApp> {
  const { createServer } = await import("vite");
  const { createRequestHandler } = await import("@remix-run/node");
  // vite.config.ts leaves the Remix plugin out under Vitest; load it as `remix vite:dev` would.
  const vitest = process.env.VITEST;
  delete process.env.VITEST;
  let server;
  try {
    server = await createServer({
      configFile: path.resolve("vite.config.ts"),
      logLevel: "silent",
      server: { middlewareMode: true, hmr: false, watch: null },
      appType: "custom",
    });
  } finally {
    process.env.VITEST = vitest;
  }
  const build = await server.ssrLoadModule("virtual:remix/server-build");
  const handler = createRequestHandler(build as any, "development");
  return {
    handle: (r) => handler(r),
    build,
    ssrLoadModule: (id) => server.ssrLoadModule(id),
    close: () => server.close(),
  };
}
