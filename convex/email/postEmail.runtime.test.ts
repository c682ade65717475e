import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, expect, test } from "vitest";
import { convexTest } from "../../local-backend/src/testing";

// renderPostEmail must run where the send runs: a Convex action in the default runtime (no
// "use node"). This bundles a one-action app that imports it the way Convex's bundler does (juice's
// and cheerio's browser builds, Node built-ins refused) and runs it in the local backend's isolate.

// Inside the repo (.data/ is ignored by git) so the bundle resolves the app's node_modules.
const here = path.dirname(new URL(import.meta.url).pathname);
mkdirSync(path.resolve(here, "../../.data"), { recursive: true });
const dir = mkdtempSync(path.resolve(here, "../../.data/post-email-runtime-"));
const convexDir = path.join(dir, "convex");
mkdirSync(convexDir);
const postEmail = path.resolve(here, "postEmail.ts");
writeFileSync(
  path.join(convexDir, "render.ts"),
  `import { actionGeneric } from "convex/server";
import { renderPostEmail } from ${JSON.stringify(postEmail)};
export const run = actionGeneric({ args: {}, handler: async () => {
  const doc = { type: "doc", content: [{ type: "paragraph", content: [{ type: "text", text: "Body sentence." }] }] };
  const common = { site: { name: "The Ledger", url: "https://ledger.example", accentColor: "#1a73e8" }, links: { post: "https://ledger.example/p", upgrade: "https://ledger.example/up", unsubscribe: "https://ledger.example/u/t", oneClick: "https://ledger.example/one-click/t", preferences: "https://ledger.example/pr/t" } };
  const full = renderPostEmail({ ...common, access: "full", post: { title: "T", publishedAt: 0, featured: true, excerpt: "Teaser.", doc } });
  const teaser = renderPostEmail({ ...common, access: "teaser", post: { title: "T", publishedAt: 0, featured: true, excerpt: "Teaser." } });
  return { full: full.html, fullText: full.text, teaser: teaser.html, headers: full.headers };
} });
`,
);
const t = convexTest({ modules: convexDir });
afterAll(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

test("renders in a default-runtime Convex action, CSS inlined, same content as in Node", async () => {
  const out = await t.action("render:run", {});
  expect(out.full).not.toMatch(/<style/i);
  expect(out.full).toMatch(/<p style="[^"]+">Body sentence\.<\/p>/);
  expect(out.fullText).toContain("Body sentence.");
  expect(out.teaser).not.toContain("Body sentence.");
  expect(out.headers["List-Unsubscribe-Post"]).toBe("List-Unsubscribe=One-Click");
}, 120_000);
