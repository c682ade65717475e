import { defineConfig } from "@playwright/test";
import { chromiumLaunchOptions } from "./e2e/stack.mjs";

const APP_PORT = Number(process.env.E2E_APP_PORT ?? 3100);
const BACKEND_PORT = Number(process.env.E2E_BACKEND_PORT ?? 3310);

// Browser tests run the production build against a fresh local backend on 127.0.0.1, started and
// stopped by Playwright itself. Chromium comes from Debian (Playwright cannot download browsers).
export default defineConfig({
  testDir: "./e2e",
  outputDir: "../test-results",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: process.env.CI ? "line" : "list",
  use: {
    baseURL: `http://127.0.0.1:${APP_PORT}`,
    launchOptions: chromiumLaunchOptions(),
  },
  webServer: {
    command: `node tests/e2e/start-stack.mjs`,
    cwd: "..",
    url: `http://127.0.0.1:${APP_PORT}/`,
    timeout: 120_000,
    reuseExistingServer: false,
    env: { E2E_APP_PORT: String(APP_PORT), E2E_BACKEND_PORT: String(BACKEND_PORT) },
  },
});
