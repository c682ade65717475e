// Remix 2 reads no config file when it runs as a Vite plugin, so vite.config.ts imports this
// object and passes it to the plugin (see stack-notes.md §2).
import type { VitePluginConfig } from "@remix-run/dev";

const remixConfig = {
  appDirectory: "app",
  buildDirectory: "build",
  serverBuildFile: "index.js",
  ignoredRouteFiles: ["**/*.test.*"],
  future: {
    v3_fetcherPersist: true,
    v3_relativeSplatPath: true,
    v3_throwAbortReason: true,
    v3_lazyRouteDiscovery: true,
    v3_singleFetch: true,
  },
} satisfies VitePluginConfig;

export default remixConfig;
