// The visual matrix's helpers (issue #16 "Tests"): check one loaded page at every width — no
// horizontal overflow (naming the elements that stick out), axe clean, a full-page screenshot kept
// in test-results/ — plus dark-mode axe at one width; and the demo data the matrix needs (a Convex
// client acting as a demo site's owner, covers and logos uploaded to file storage, ids by slug).
import { spawnSync } from "node:child_process";
import path from "node:path";
import AxeBuilder from "@axe-core/playwright";
import type { Page, TestInfo } from "@playwright/test";
import { Resvg } from "@resvg/resvg-js";
import { ConvexHttpClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { expect, signUpThroughPages, uniqueEmail } from "./fixtures";
import { adminKey, backendUrl, e2eDataDir, latestFakeMessage } from "./stack.mjs";

/** The widths the issue names: a phone, a tablet, a laptop, a large desktop. */
export const WIDTHS = [375, 768, 1280, 1920] as const;
const HEIGHT = 900;
/** Dark mode is checked with axe at this one width (colours do not change with width). */
export const DARK_WIDTH = 1280;

export const fn = {
  query: (name: string) => makeFunctionReference<"query">(name) as any,
  mutation: (name: string) => makeFunctionReference<"mutation">(name) as any,
  action: (name: string) => makeFunctionReference<"action">(name) as any,
};

/** What sticks out past the right edge of the viewport (the only direction that adds scroll width). */
interface Overflow {
  scrollWidth: number;
  innerWidth: number;
  offenders: string[];
}

/**
 * The document's scroll width against the viewport, and when it overflows, where the overflow
 * starts: elements that pass the viewport's right edge and their parent's too (a full-width child
 * of a too-wide box is not the cause; the box is), skipping the inside of scroll or clip containers,
 * which do not widen the page. Each described as tag#id.class "text" (left, width, right).
 */
async function measureOverflow(page: Page): Promise<Overflow> {
  return await page.evaluate(() => {
    const innerWidth = window.innerWidth;
    const scrollWidth = document.documentElement.scrollWidth;
    const offenders: string[] = [];
    if (scrollWidth > innerWidth) {
      const clips = (el: Element) => {
        const o = getComputedStyle(el).overflowX;
        return o === "hidden" || o === "clip" || o === "auto" || o === "scroll";
      };
      const describe = (el: Element) => {
        const r = el.getBoundingClientRect();
        const cls = typeof el.className === "string" && el.className.trim() ? `.${el.className.trim().split(/\s+/).join(".")}` : "";
        const text = (el.textContent ?? "").trim().replace(/\s+/g, " ").slice(0, 40);
        return `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}${cls}${text ? ` "${text}"` : ""} (left ${Math.round(r.left)}, width ${Math.round(r.width)}, right ${Math.round(r.right)} > ${innerWidth})`;
      };
      const walk = (el: Element, parentRight: number) => {
        for (const child of Array.from(el.children)) {
          if (offenders.length >= 8) return;
          const right = child.getBoundingClientRect().right;
          if (right > innerWidth + 0.5 && right > parentRight + 0.5) offenders.push(describe(child));
          if (!clips(child)) walk(child, getComputedStyle(child).display === "contents" ? parentRight : right);
        }
      };
      walk(document.body, innerWidth);
    }
    return { scrollWidth, innerWidth, offenders };
  });
}

/**
 * Serious and critical axe violations (the tags reader.test.ts checks), as readable lines. Legacy
 * mode runs axe.run in the page (same-origin frames included) instead of finishing the run in a
 * new blank page each time, which made each check cost about a second more.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).setLegacyMode(true).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]).analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/** Waits for web fonts and two frames, so layout and screenshots show the settled page. */
async function settle(page: Page) {
  await page.evaluate(async () => {
    await document.fonts.ready;
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  });
}

/** JPEG: full pages at 1920 px encode several times faster than PNG, and 130 of them run per suite. */
async function screenshot(page: Page, testInfo: TestInfo, name: string) {
  const file = testInfo.outputPath(`${name}.jpeg`);
  await page.screenshot({ path: file, fullPage: true, animations: "disabled", type: "jpeg", quality: 80 });
  await testInfo.attach(name, { path: file, contentType: "image/jpeg" });
}

/**
 * Checks the page already loaded in `page` at every width: screenshot, no horizontal overflow, axe
 * clean; then axe in dark mode at DARK_WIDTH. Failures are soft (every width is reported, and the
 * test fails at its end). `name` names the screenshots, e.g. "magazine-home-grid".
 */
export async function checkEveryWidth(page: Page, testInfo: TestInfo, name: string, options: { dark?: boolean } = {}): Promise<void> {
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: HEIGHT });
    await settle(page);
    await screenshot(page, testInfo, `${name}-${width}`);
    const o = await measureOverflow(page);
    expect
      .soft(o.scrollWidth <= o.innerWidth ? [] : [`scrollWidth ${o.scrollWidth} > ${o.innerWidth}`, ...o.offenders], `${name} at ${width}px: horizontal overflow`)
      .toEqual([]);
    expect.soft(await axeViolations(page), `${name} at ${width}px: axe violations`).toEqual([]);
  }
  if (options.dark !== false) {
    await page.emulateMedia({ colorScheme: "dark" });
    await page.setViewportSize({ width: DARK_WIDTH, height: HEIGHT });
    await settle(page);
    await screenshot(page, testInfo, `${name}-${DARK_WIDTH}-dark`);
    expect.soft(await axeViolations(page), `${name} at ${DARK_WIDTH}px, dark mode: axe violations`).toEqual([]);
    await page.emulateMedia({ colorScheme: "light" });
  }
}

/** The e2e backend's documents of one table, through the local-backend CLI (as adminKey() reads the key). */
export function tableRows<T = Record<string, unknown>>(table: string): T[] {
  const r = spawnSync(path.resolve("node_modules/.bin/tsx"), ["local-backend/src/cli.ts", "data", table, "--data-dir", e2eDataDir()], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`could not read table ${table}: ${r.stderr}`);
  return r.stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);
}

export interface DemoSite {
  siteId: string;
  ownerId: string;
  /** A Convex client acting as the site's owner (admin key + identity, as tests/support/live-backend.ts does). */
  owner: ConvexHttpClient;
}

/** A demo site (demo:seedDemo must have run) with a client acting as its owner. */
export function demoSite(slug: string): DemoSite {
  const site = tableRows<{ _id: string; slug: string; ownerId: string }>("sites").find((s) => s.slug === slug);
  if (!site) throw new Error(`no site ${slug}: seed the demo first`);
  const owner = new ConvexHttpClient(backendUrl);
  (owner as unknown as { setAdminAuth(key: string, identity: object): void }).setAdminAuth(adminKey(), {
    subject: `${site.ownerId}|e2e-visual`,
    issuer: "https://convex.test",
  });
  return { siteId: site._id, ownerId: site.ownerId, owner };
}

/** A post's id by its slug in a site. */
/** A new user, invited as an admin of `site` by its owner, signs up and accepts on the invitation page. */
export async function joinAsAdmin(page: Page, site: DemoSite, name: string, emailPrefix: string): Promise<void> {
  const email = uniqueEmail(emailPrefix);
  const { token } = await site.owner.mutation(fn.mutation("members:invite"), { siteId: site.siteId, email, role: "admin" });
  await signUpThroughPages(page, name, email, "correct horse battery staple");
  await page.goto(`/studio/invites/${token}`);
  await page.getByRole("button", { name: "Accept invitation" }).click();
  await expect(page).toHaveURL(new RegExp(`/studio/${site.siteId}`));
}

export function postId(siteId: string, slug: string): string {
  const post = tableRows<{ _id: string; siteId: string; slug: string }>("posts").find((p) => p.siteId === siteId && p.slug === slug);
  if (!post) throw new Error(`no post ${slug}`);
  return post._id;
}

/**
 * A PNG rendered from SVG (resvg): a landscape "photo" of colour bands, or a square logo mark. Real
 * image sizes, so cover crops and logo sizing are exercised as with an author's uploads.
 */
export function picture(kind: "cover" | "logo", hue: number): Buffer {
  const svg =
    kind === "cover"
      ? `<svg xmlns="http://www.w3.org/2000/svg" width="1600" height="900"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="hsl(${hue},60%,45%)"/><stop offset="1" stop-color="hsl(${(hue + 60) % 360},55%,25%)"/></linearGradient></defs><rect width="1600" height="900" fill="url(#g)"/><circle cx="1200" cy="260" r="140" fill="hsl(${(hue + 30) % 360},80%,80%)"/><path d="M0 700 L400 480 L760 640 L1100 420 L1600 690 L1600 900 L0 900 Z" fill="hsl(${hue},35%,18%)"/></svg>`
      : `<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256"><rect width="256" height="256" rx="48" fill="hsl(${hue},60%,30%)"/><text x="128" y="172" font-size="150" text-anchor="middle" fill="#fff" font-family="serif">L</text></svg>`;
  return Buffer.from(new Resvg(svg).render().asPng());
}

/** Uploads an image to the site's file storage as its owner; returns the storage id. */
export async function upload(site: DemoSite, png: Buffer): Promise<string> {
  const url: string = await site.owner.mutation(fn.mutation("sites:generateUploadUrl"), { siteId: site.siteId });
  const res = await fetch(url, { method: "POST", headers: { "Content-Type": "image/png" }, body: new Uint8Array(png) });
  if (!res.ok) throw new Error(`upload failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { storageId: string }).storageId;
}

/**
 * A signed email-preferences link for a fresh free member of the site: joins through the public
 * action (as the join form does), reads the 6-digit code the Resend fake received, confirms it, and
 * mints the member's preferences token (audience:memberToken, the sender's internal query).
 */
export async function preferencesPath(admin: ConvexHttpClient, site: DemoSite, slug: string, email: string): Promise<string> {
  await admin.action(fn.action("audience:join"), { siteId: site.siteId, email, name: "Visual Reader" });
  let mail: { text: string } | undefined;
  for (let i = 0; i < 100 && !mail; i++) {
    mail = await latestFakeMessage(email, /code/i);
    if (!mail) await new Promise((r) => setTimeout(r, 100));
  }
  const code = /\b(\d{6})\b/.exec(mail?.text ?? "")?.[1];
  if (!code) throw new Error(`no join code emailed to ${email}`);
  const joined = await admin.mutation(fn.mutation("audience:confirmJoin"), { siteId: site.siteId, email, code });
  if (!joined.ok) throw new Error("the join code was refused");
  const token: string = await admin.query(fn.query("audience:memberToken"), { memberId: joined.memberId, purpose: "preferences" });
  return `/${slug}/email/preferences?token=${encodeURIComponent(token)}`;
}
