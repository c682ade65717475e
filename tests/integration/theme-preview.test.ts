// The studio's theme preview (GET /studio/:siteId/design/preview?theme=…): the site's real home
// page drawn with an unsaved theme, for owners and admins only, private, and frameable by the
// studio's own origin only. Called as the browser would (cookies from real sign-ups) against a
// local backend running convex/.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { themeToParams, resolveTheme } from "../../convex/shared/theme";
import type { LocalBackend } from "../../local-backend/src/backend";
import { startAuthBackend } from "../support/auth";
import { keepProcessEnv, stopAppBackend } from "../support/live-backend";
import { action, appUser, get, loader, ORIGIN, post, type AppUser } from "../support/remix-app";
import * as studioHome from "../../app/routes/studio._index";
import * as preview from "../../app/routes/studio.$siteId.design.preview";

let backend: LocalBackend;
let restoreEnv: () => void;
let owner: AppUser;
let author: AppUser;
let stranger: AppUser;
let siteId: Id<"sites">;

beforeAll(async () => {
  ({ backend } = await startAuthBackend("theme-preview-", ORIGIN));
  restoreEnv = keepProcessEnv("CONVEX_URL", "AUTH_MIN_RESPONSE_MS");
  process.env.CONVEX_URL = backend.url;
  process.env.AUTH_MIN_RESPONSE_MS = "0";
  [owner, author, stranger] = await Promise.all([
    appUser(backend, "owner", "Olivia Owner"),
    appUser(backend, "author", "Arthur Author"),
    appUser(backend, "stranger", "Oscar Outsider"),
  ]);
  const created = await action(studioHome, post("/studio", { name: "The Preview Paper", slug: `preview-${Date.now().toString(36)}`, description: "News" }, owner.jar));
  expect(created.status).toBe(302);
  siteId = /^\/studio\/([^/]+)$/.exec(created.location ?? "")![1] as Id<"sites">;
  const postId = await owner.convex.mutation(api.posts.create, { siteId, title: "A published story" });
  await owner.convex.mutation(api.posts.publish, { siteId, postId });
  await owner.convex.mutation(api.posts.create, { siteId, title: "An unpublished draft" });
  const { token } = await owner.convex.mutation(api.members.invite, { siteId, email: author.email, role: "author" });
  await author.convex.mutation(api.members.accept, { token });
}, 120_000);

afterAll(async () => {
  restoreEnv?.();
  await stopAppBackend(backend);
});

const url = () => {
  const params = themeToParams({
    ...resolveTheme({ theme: "magazine", colorScheme: "dark", fontPair: "classic", navLinks: [{ label: "About us", url: "/about" }] }),
    accentColor: "#e11d48",
  });
  return `/studio/${siteId}/design/preview?${params}`;
};

describe("studio theme preview", () => {
  test("renders the site's published posts with the unsaved theme", async () => {
    const res = await loader(preview, get(url(), owner.jar), { siteId });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
    const html = res.data as string;
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('data-theme="magazine"');
    expect(html).toContain('data-color-scheme="dark"');
    expect(html).toContain('data-font-pair="classic"');
    expect(html).toContain("A published story");
    expect(html).not.toContain("An unpublished draft");
    expect(html).toContain("card--hero");
    expect(html).toMatch(/<a href="\/preview-[a-z0-9]+\/about">About us<\/a>/);
    // The preview runs no scripts.
    expect(html).not.toContain("<script");
    // The saved theme is untouched: the site still reads as the default.
    const settings = await owner.convex.query(api.sites.getSettings, { siteId });
    expect(settings.branding?.theme).toBeUndefined();
  });

  test("clickjacking: the preview route can only be framed by the studio", async () => {
    const res = await loader(preview, get(url(), owner.jar), { siteId });
    expect(res.headers.get("X-Frame-Options")).toBe("SAMEORIGIN");
    expect(res.headers.get("Content-Security-Policy")).toBe("frame-ancestors 'self'");
    // Private: a shared cache never keeps one owner's preview for anyone else.
    expect(res.headers.get("Cache-Control")).toBe("private, no-store");
  });

  test("cross-tenant read: a stranger gets a 404, a signed-out visitor the sign-in page, an author a 403", async () => {
    const strangerRes = await loader(preview, get(url(), stranger.jar), { siteId });
    expect(strangerRes.status).toBe(404);
    expect(String(strangerRes.data)).not.toContain("A published story");
    const anonymous = await loader(preview, get(url()), { siteId });
    expect(anonymous.status).toBe(302);
    expect(anonymous.location).toMatch(/^\/login/);
    const authorRes = await loader(preview, get(url(), author.jar), { siteId });
    expect(authorRes.status).toBe(403);
    expect(String(authorRes.data)).not.toContain("A published story");
    // A malformed site id is a 404 before any query.
    expect((await loader(preview, get(`/studio/not-an-id!/design/preview`, owner.jar), { siteId: "not-an-id!" })).status).toBe(404);
  });

  test("XSS: hostile theme parameters fall back to defaults and labels are escaped", async () => {
    const p = new URLSearchParams({ theme: "<script>", fontPair: "x", accent: "red;}</style><script>", colorScheme: "dark" });
    p.append("nav", "<b>Hi</b>\n/about");
    p.append("nav", "Evil\njavascript:alert(1)");
    const res = await loader(preview, get(`/studio/${siteId}/design/preview?${p}`, owner.jar), { siteId });
    expect(res.status).toBe(200);
    const html = res.data as string;
    expect(html).toContain('data-theme="classic"');
    expect(html).not.toContain("<script");
    expect(html).not.toContain("javascript:");
    expect(html).toContain("&lt;b&gt;Hi&lt;/b&gt;");
  });
});
