// Studio → Design's Remix loader and action (app/routes/studio.$siteId.design.tsx), called with
// Request objects and cookies from real sign-ups, against a local backend running convex/: field
// errors next to their fields (including each navigation row), a valid save that keeps what the form
// does not change, logo and cover uploads to file storage, and who may save.
import { ConvexHttpClient } from "convex/browser";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { ERROR_CODES } from "../../convex/shared/errors";
import type { LocalBackend } from "../../local-backend/src/backend";
import { startAuthBackend } from "../support/auth";
import { adminClient, keepProcessEnv, stopAppBackend } from "../support/live-backend";
import { action, appUser, cookieHeader, get, loader, ORIGIN, post, type AppUser } from "../support/remix-app";
import * as studioHome from "../../app/routes/studio._index";
import * as design from "../../app/routes/studio.$siteId.design";

let backend: LocalBackend;
let restoreEnv: () => void;
let owner: AppUser;
let siteId: Id<"sites">;
let slug: string;

beforeAll(async () => {
  ({ backend } = await startAuthBackend("studio-design-", ORIGIN));
  restoreEnv = keepProcessEnv("CONVEX_URL", "AUTH_MIN_RESPONSE_MS");
  process.env.CONVEX_URL = backend.url;
  process.env.AUTH_MIN_RESPONSE_MS = "0";
  adminClient(backend);
  owner = await appUser(backend, "designer", "Dana Designer");
  slug = `design-${Date.now().toString(36)}`;
  const created = await action(studioHome, post("/studio", { name: "The Designed Times", slug, description: "Looks" }, owner.jar));
  expect(created.status).toBe(302);
  siteId = /^\/studio\/([^/]+)$/.exec(created.location ?? "")?.[1] as Id<"sites">;
});

afterAll(async () => {
  restoreEnv?.();
  await stopAppBackend(backend);
});

const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");

/** The whole Design form as the browser posts it (every row, blank ones too). */
const fields = (patch: Record<string, string | string[]> = {}) => ({
  theme: "classic",
  fontPair: "editorial",
  homeLayout: "list",
  colorScheme: "auto",
  accentColor: "",
  navLabel: ["", ""],
  navUrl: ["", ""],
  ...patch,
});
const save = (patch: Record<string, string | string[]> = {}, jar = owner.jar) => action(design, post(`/studio/${siteId}/design`, fields(patch), jar), { siteId });
const publicSite = () => new ConvexHttpClient(backend.url).query(api.sites.getPublic, { slug });

/** A multipart post with image files (the form's encType), as a browser sends it. */
function saveWithFiles(files: Record<string, Blob>, patch: Record<string, string | string[]> = {}) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields(patch))) for (const one of Array.isArray(v) ? v : [v]) form.append(k, one);
  for (const [name, blob] of Object.entries(files)) form.set(name, blob, `${name}.png`);
  return action(
    design,
    new Request(`${ORIGIN}/studio/${siteId}/design`, { method: "POST", headers: { Origin: ORIGIN, "User-Agent": "vitest", ...cookieHeader(owner.jar) }, body: form }),
    { siteId },
  );
}

describe("Studio → Design", () => {
  test("the page loads the saved design for owners", async () => {
    const page = await loader(design, get(`/studio/${siteId}/design`, owner.jar), { siteId });
    expect(page.status).toBe(200);
    expect(page.headers.get("Cache-Control")).toMatch(/private/);
    expect(page.data.settings).toMatchObject({ name: "The Designed Times", role: "owner", branding: null, coverUrl: null });
  });

  test("field errors come back next to their fields, each navigation row on its own row; nothing is saved", async () => {
    const bad = await save({
      accentColor: "blue",
      navLabel: ["About", "", "Evil", "Far"],
      navUrl: ["/about", "", "javascript:alert(1)", "//evil.com"],
    });
    expect(bad.status).toBe(400);
    expect(bad.data.errors.fields).toEqual({
      accentColor: "Use a color like #1a73e8.",
      "navLinks.2.url": "Use a path like /about or a full https:// address.",
      "navLinks.3.url": "Use a path like /about or a full https:// address.",
    });
    // The posted rows come back as typed, so the form shows them again with their errors.
    expect(bad.data.values.navLinks[2]).toEqual({ label: "Evil", url: "javascript:alert(1)" });
    const missing = await save({ navLabel: ["", "Shop"], navUrl: ["/about", ""] });
    expect(missing.data.errors.fields).toEqual({ "navLinks.0.label": "Give the link a label.", "navLinks.1.url": "Give the link an address." });
    expect((await publicSite())?.theme.navLinks).toEqual([]);
  });

  test("a stale or forged choice gets Convex's field error on its field", async () => {
    const r = await save({ fontPair: "comic-sans" });
    expect(r.status).toBe(400);
    expect(r.data.errors.fields).toEqual({ fontPair: "Choose one of the font pairs." });
  });

  test("a valid save stores every choice (blank rows dropped) and readers get it", async () => {
    const ok = await save({
      theme: "magazine",
      fontPair: "grotesk",
      homeLayout: "grid",
      colorScheme: "dark",
      accentColor: "#AA3300",
      navLabel: ["", " About ", "", "Shop"],
      navUrl: ["", "/about", "", "https://shop.example.com/"],
    });
    expect(ok.status).toBe(200);
    expect(ok.data.notice).toBe("Design saved.");
    const site = await publicSite();
    expect(site?.theme).toEqual({
      theme: "magazine",
      fontPair: "grotesk",
      homeLayout: "grid",
      colorScheme: "dark",
      navLinks: [
        { label: "About", url: "/about" },
        { label: "Shop", url: "https://shop.example.com/" },
      ],
    });
    expect(site?.accentColor).toBe("#AA3300");
  });

  test("logo and cover upload to file storage with the form, survive a later save, and can be removed", async () => {
    const badType = await saveWithFiles({ logo: new Blob(["not an image"], { type: "text/plain" }) });
    expect(badType.status).toBe(400);
    expect(badType.data.errors.fields.logo).toMatch(/PNG, JPEG/);
    const svgCover = await saveWithFiles({ cover: new Blob(["<svg/>"], { type: "image/svg+xml" }) });
    expect(svgCover.data.errors.fields.cover).toMatch(/PNG, JPEG, WebP or GIF/);

    const ok = await saveWithFiles({ logo: new Blob([PNG], { type: "image/png" }), cover: new Blob([PNG], { type: "image/png" }) }, { accentColor: "#112233" });
    expect(ok.data.notice).toBe("Design saved.");
    let site = await publicSite();
    expect(site?.logoUrl).toMatch(/\/api\/storage\//);
    expect(site?.coverUrl).toMatch(/\/api\/storage\//);
    expect((await fetch(site!.coverUrl!)).headers.get("content-type")).toBe("image/png");

    // A save without files keeps both images; the accent is what the form says.
    await save({ accentColor: "#445566" });
    site = await publicSite();
    expect(site?.logoUrl).toMatch(/\/api\/storage\//);
    expect(site?.coverUrl).toMatch(/\/api\/storage\//);
    expect(site?.accentColor).toBe("#445566");

    const removed = await save({ "remove-logo": "1", "remove-cover": "1" });
    expect(removed.data.notice).toBe("Design saved.");
    site = await publicSite();
    expect(site?.logoUrl).toBeNull();
    expect(site?.coverUrl).toBeNull();
  });

  test("below admin, a design change is refused as a form error; a stranger gets a 404", async () => {
    const editor = await appUser(backend, "editor", "Eddie Editor");
    const { token } = await owner.convex.mutation(api.members.invite, { siteId, email: editor.email, role: "editor" });
    await editor.convex.mutation(api.members.accept, { token });
    const before = (await publicSite())?.theme;
    const r = await save({ theme: "classic" }, editor.jar);
    expect(r.status).toBe(400);
    expect(r.data.errors.form).toBe(ERROR_CODES.FORBIDDEN);
    expect((await publicSite())?.theme).toEqual(before);

    const stranger = await appUser(backend, "stranger", "Sam Stranger");
    const page = await loader(design, get(`/studio/${siteId}/design`, stranger.jar), { siteId });
    expect(page.status).toBe(404);
  });
});
