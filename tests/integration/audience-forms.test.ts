// Issue #15's reader-facing member routes against a live local backend: the join form's target
// (/{site}/email/join, also the embeddable form's), the code step (/{site}/email/confirm), the
// signed-in one-click join, the unsubscribe and preferences pages opened from signed email links,
// the join form on the home page (cacheable for anonymous readers), and the cross-origin rule.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { internal } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { ERROR_CODES } from "../../convex/shared/errors";
import { front } from "../../app/entry.server";
import { embedFormHtml } from "../../app/utils/embedForm";
import { adminCallable } from "../../app/utils/convex.server";
import * as homeRoute from "../../app/routes/$site._index";
import * as confirmRoute from "../../app/routes/$site.email.confirm";
import * as joinRoute from "../../app/routes/$site.email.join";
import * as preferencesRoute from "../../app/routes/$site.email.preferences";
import * as unsubscribeRoute from "../../app/routes/$site.email.unsubscribe";
import type { LocalBackend } from "../../local-backend/src/backend";
import { latestEmail, startAuthBackend } from "../support/auth";
import { createWorld, type World } from "../support/factories";
import { adminClient, factoryBackend, keepProcessEnv, runOn, stopAppBackend } from "../support/live-backend";
import { ORIGIN, action, freshEmail, get, loader, post, signUpThroughApp, type Jar } from "../support/remix-app";

const EVIL = "https://elsewhere.example";
const SLUG = "forms";
const params = { site: SLUG };

let backend: LocalBackend;
let w: World;
const restoreEnv = keepProcessEnv("CONVEX_URL", "CONVEX_ADMIN_KEY", "READER_CACHE", "ROOT_DOMAIN");

beforeAll(async () => {
  ({ backend } = await startAuthBackend("audience-forms-", ORIGIN));
  process.env.CONVEX_URL = backend.url;
  process.env.CONVEX_ADMIN_KEY = backend.adminKey;
  process.env.READER_CACHE = "off";
  delete process.env.ROOT_DOMAIN;
  w = await createWorld(factoryBackend(() => backend), SLUG);
});

afterAll(async () => {
  restoreEnv();
  await stopAppBackend(backend);
});

const joinCode = async (email: string): Promise<string> => {
  const mail = await latestEmail(backend, email, "audience-join-code");
  const code = /\b(\d{6})\b/.exec(mail?.text ?? "")?.[1];
  if (!code) throw new Error(`no join code mailed to ${email}`);
  return code;
};

const memberOf = (siteId: Id<"sites">, email: string) =>
  runOn(backend, async (ctx) => {
    const m = await ctx.db
      .query("audienceMembers")
      .withIndex("by_siteId_and_email", (q: any) => q.eq("siteId", siteId).eq("email", email))
      .unique();
    if (!m) return null;
    const rows = await ctx.db
      .query("memberNewsletters")
      .withIndex("by_siteId_and_memberId_and_newsletterId", (q: any) => q.eq("siteId", siteId).eq("memberId", m._id))
      .collect();
    return { ...m, newsletterIds: rows.map((r: any) => r.newsletterId) };
  });

/** Joins through the routes (form post, emailed code, confirm): the new member. */
async function joinThroughRoutes(email: string) {
  const joined = await action(joinRoute, post(`/${SLUG}/email/join`, { email }), params);
  expect(joined.status).toBe(303);
  const code = await joinCode(email);
  const confirmed = await action(confirmRoute, post(`/${SLUG}/email/confirm`, { intent: "confirm", email, code }), params);
  expect(confirmed.data).toMatchObject({ joined: true });
  return (await memberOf(w.siteId, email))!;
}

const mintToken = (memberId: Id<"audienceMembers">, purpose: "unsubscribe" | "preferences") =>
  adminClient(backend).query(adminCallable(internal.audience.memberToken), { memberId, purpose });

/** The token with one signature character changed (still well-formed). */
const altered = (token: string) => token.slice(0, -2) + (token.at(-2) === "A" ? "B" : "A") + token.at(-1);

describe("joining with an email address", () => {
  test("join → code from the outbox → confirm: a subscribed free member with the default newsletter", async () => {
    const email = freshEmail("join");
    const joined = await action(joinRoute, post(`/${SLUG}/email/join`, { email: `  ${email.toUpperCase()} `, name: "Rea Der" }), params);
    expect(joined.status).toBe(303);
    expect(joined.location).toBe(`/${SLUG}/email/confirm?email=${encodeURIComponent(email.toUpperCase())}`);
    expect(await memberOf(w.siteId, email)).toBeNull();
    // The code step names the address and asks for the code; it is never cached (it echoes the URL).
    const page = await loader(confirmRoute, get(joined.location!), params);
    expect(page.data).toMatchObject({ email: email.toUpperCase(), error: null });
    expect(page.headers.get("Cache-Control")).toBe("private, no-store");
    const code = await joinCode(email);
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, "0");
    const bad = await action(confirmRoute, post(`/${SLUG}/email/confirm`, { intent: "confirm", email: email.toUpperCase(), code: wrong }), params);
    expect(bad.status).toBe(400);
    expect(bad.data).toMatchObject({ joined: false, codeError: ERROR_CODES.INVALID_CODE });
    expect(await memberOf(w.siteId, email)).toBeNull();
    const ok = await action(confirmRoute, post(`/${SLUG}/email/confirm`, { intent: "confirm", email: email.toUpperCase(), code }), params);
    expect(ok.status).toBe(200);
    expect(ok.data).toEqual({ joined: true, email: email.toUpperCase() });
    const member = await memberOf(w.siteId, email);
    expect(member).toMatchObject({ access: "free", emailState: "subscribed", source: "form", name: "Rea Der" });
    expect(member!.newsletterIds).toHaveLength(1);
  });

  test("no address enumeration: a member and a stranger get the same answer from the join route", async () => {
    const known = freshEmail("known");
    await joinThroughRoutes(known);
    const stranger = freshEmail("stranger");
    const a = await action(joinRoute, post(`/${SLUG}/email/join`, { email: known }), params);
    const b = await action(joinRoute, post(`/${SLUG}/email/join`, { email: stranger }), params);
    expect(a.status).toBe(b.status);
    expect(a.location!.replace(encodeURIComponent(known), "<email>")).toBe(b.location!.replace(encodeURIComponent(stranger), "<email>"));
  });

  test("a malformed address and the rate limit come back as readable errors on the join page", async () => {
    const bad = await action(joinRoute, post(`/${SLUG}/email/join`, { email: "not-an-address" }), params);
    expect(bad.status).toBe(303);
    expect(new URL(bad.location!, ORIGIN).searchParams.get("error")).toBe("INVALID_ARGUMENT");
    expect((await loader(confirmRoute, get(bad.location!), params)).data.error).toBe("Enter a valid email address.");
    // Five codes an hour per address (ADR 012); the sixth is refused, readably.
    const email = freshEmail("limited");
    const outcomes: (string | null)[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await action(joinRoute, post(`/${SLUG}/email/join`, { email }), params);
      outcomes.push(new URL(r.location!, ORIGIN).searchParams.get("error"));
    }
    expect(outcomes).toEqual([null, null, null, null, null, "RATE_LIMITED"]);
    const limited = await action(joinRoute, post(`/${SLUG}/email/join`, { email }), params);
    expect((await loader(confirmRoute, get(limited.location!), params)).data.error).toBe(ERROR_CODES.RATE_LIMITED);
    // An error code typed into the URL shows only catalogue text, never the URL's own words.
    const forged = await loader(confirmRoute, get(`/${SLUG}/email/confirm?error=${encodeURIComponent("<b>Call 555</b>")}`), params);
    expect(forged.data.error).not.toContain("555");
  });

  test("a GET of the join route leads to the join form", async () => {
    const r = await loader(joinRoute, get(`/${SLUG}/email/join`), params);
    expect(r.status).toBe(303);
    expect(r.location).toBe(`/${SLUG}/email/confirm`);
  });
});

describe("signed-in readers", () => {
  let jar: Jar;
  let email: string;
  beforeAll(async () => {
    email = freshEmail("oneclick");
    jar = await signUpThroughApp(backend, email);
  });

  test("join in one click; the home page's join form shows it only on their private page", async () => {
    const before = await loader(homeRoute, get(`/${SLUG}/`, jar), params);
    expect(before.data.membership).toEqual({ following: false });
    expect(before.headers.get("Cache-Control")).toBe("private, no-store");
    const joined = await action(confirmRoute, post(`/${SLUG}/email/confirm`, { intent: "oneClick" }, jar), params);
    expect(joined.data).toEqual({ joined: true, email: null });
    expect(await memberOf(w.siteId, email)).toMatchObject({ emailState: "subscribed", source: "signedIn" });
    const after = await loader(homeRoute, get(`/${SLUG}/`, jar), params);
    expect(after.data.membership).toEqual({ following: true });
    // Anonymous readers: no per-reader content, a shared-cacheable page.
    const anon = await loader(homeRoute, get(`/${SLUG}/`), params);
    expect(anon.data.membership).toBeNull();
    expect(anon.headers.get("Cache-Control")).toBe("public, max-age=0, must-revalidate");
  });

  test("manage their own preferences without a link; cross-tenant read: another site's page shows nothing of theirs", async () => {
    // (Runs after the one-click join above: the reader follows SLUG.)
    const own = await loader(preferencesRoute, get(`/${SLUG}/email/preferences`, jar), params);
    expect(own.status).toBe(200);
    expect(own.data.prefs).toMatchObject({ email, emailState: "subscribed" });
    expect(own.headers.get("Cache-Control")).toBe("private, no-store");
    const other = await loader(preferencesRoute, get(`/${SLUG}-other/email/preferences`, jar), { site: `${SLUG}-other` });
    expect(other.status).toBe(404);
    expect(other.data.prefs).toBeNull();
    expect(JSON.stringify(other.data)).not.toContain(email);
    // Saving on the other site (not a member there) changes nothing here.
    const otherSave = await action(preferencesRoute, post(`/${SLUG}-other/email/preferences`, { intent: "unsubscribeAll" }, jar), { site: `${SLUG}-other` });
    expect(otherSave.status).toBe(400);
    expect((await memberOf(w.siteId, email))!.emailState).toBe("subscribed");
    const off = await action(preferencesRoute, post(`/${SLUG}/email/preferences`, { intent: "unsubscribeAll" }, jar), params);
    expect(off.data).toEqual({ saved: "unsubscribed" });
    expect((await memberOf(w.siteId, email))!.emailState).toBe("unsubscribed");
    expect((await loader(homeRoute, get(`/${SLUG}/`, jar), params)).data.membership).toEqual({ following: false });
    // Anonymous, without a link: nothing to show.
    expect((await loader(preferencesRoute, get(`/${SLUG}/email/preferences`), params)).status).toBe(400);
  });

  test("one click without signing in is a readable error, not a join", async () => {
    const r = await action(confirmRoute, post(`/${SLUG}/email/confirm`, { intent: "oneClick" }), params);
    expect(r.status).toBe(400);
    expect(r.data.formError).toMatch(/Sign in first/);
  });
});

describe("signed email links", () => {
  test("unsubscribe: GET only shows the button; the POST unsubscribes and keeps access", async () => {
    const email = freshEmail("unsub");
    const member = await joinThroughRoutes(email);
    const token = await mintToken(member._id, "unsubscribe");
    const page = await loader(unsubscribeRoute, get(`/${SLUG}/email/unsubscribe?token=${encodeURIComponent(token)}`), params);
    expect(page.status).toBe(200);
    expect(page.data).toEqual({ token });
    expect(page.headers.get("Referrer-Policy")).toBe("same-origin");
    expect(JSON.stringify(page.data)).not.toContain(email);
    expect((await memberOf(w.siteId, email))!.emailState).toBe("subscribed");
    const done = await action(unsubscribeRoute, post(`/${SLUG}/email/unsubscribe`, { token }), params);
    expect(done.status).toBe(200);
    expect(done.data).toEqual({ done: true });
    const after = await memberOf(w.siteId, email);
    expect(after).toMatchObject({ emailState: "unsubscribed", access: "free" });
    // Idempotent: the second click says the same.
    expect((await action(unsubscribeRoute, post(`/${SLUG}/email/unsubscribe`, { token }), params)).data).toEqual({ done: true });
  });

  test("forged unsubscribe link: an altered, other-purpose or missing token is a readable 400 and changes nothing", async () => {
    const email = freshEmail("forged");
    const member = await joinThroughRoutes(email);
    const real = await mintToken(member._id, "unsubscribe");
    const prefs = await mintToken(member._id, "preferences");
    for (const token of [altered(real), prefs, `${real}x`, "m1.garbage"]) {
      const r = await action(unsubscribeRoute, post(`/${SLUG}/email/unsubscribe`, { token }), params);
      expect(r.status, token).toBe(400);
      expect(r.data).toEqual({ done: false, error: ERROR_CODES.INVALID_LINK });
    }
    expect((await memberOf(w.siteId, email))!.emailState).toBe("subscribed");
    const missing = await loader(unsubscribeRoute, get(`/${SLUG}/email/unsubscribe`), params);
    expect(missing.status).toBe(400);
  });

  test("preferences: lists newsletters, saves choices, unsubscribes from all and resubscribes", async () => {
    const email = freshEmail("prefs");
    const member = await joinThroughRoutes(email);
    const token = await mintToken(member._id, "preferences");
    const url = `/${SLUG}/email/preferences?token=${encodeURIComponent(token)}`;
    const page = await loader(preferencesRoute, get(url), params);
    expect(page.status).toBe(200);
    expect(page.data.prefs).toMatchObject({ email, emailState: "subscribed", newsletters: [{ _id: member.newsletterIds[0], subscribed: true }] });
    expect(page.headers.get("Cache-Control")).toBe("private, no-store");
    const all = await action(preferencesRoute, post(url, { token, intent: "unsubscribeAll" }), params);
    expect(all.data).toEqual({ saved: "unsubscribed" });
    expect(await memberOf(w.siteId, email)).toMatchObject({ emailState: "unsubscribed", newsletterIds: [] });
    const again = await action(preferencesRoute, post(url, { token, intent: "save", newsletter: member.newsletterIds[0] }), params);
    expect(again.data).toEqual({ saved: "choices" });
    expect(await memberOf(w.siteId, email)).toMatchObject({ emailState: "subscribed", newsletterIds: member.newsletterIds });
    // A made-up newsletter id is a readable 400, and changes nothing.
    const junk = await action(preferencesRoute, post(url, { token, intent: "save", newsletter: "not-an-id" }), params);
    expect(junk.status).toBe(400);
    expect(junk.data.error).toEqual(expect.any(String));
    expect(await memberOf(w.siteId, email)).toMatchObject({ emailState: "subscribed", newsletterIds: member.newsletterIds });
  });

  test("forged unsubscribe link: the preferences page refuses an altered or unsubscribe-purpose token without showing the address", async () => {
    const email = freshEmail("forgedprefs");
    const member = await joinThroughRoutes(email);
    const real = await mintToken(member._id, "preferences");
    const unsub = await mintToken(member._id, "unsubscribe");
    for (const token of [altered(real), unsub, ""]) {
      const page = await loader(preferencesRoute, get(`/${SLUG}/email/preferences?token=${encodeURIComponent(token)}`), params);
      expect(page.status, token).toBe(400);
      expect(page.data).toMatchObject({ prefs: null, error: ERROR_CODES.INVALID_LINK });
      expect(JSON.stringify(page.data)).not.toContain(email);
      const save = await action(preferencesRoute, post(`/${SLUG}/email/preferences`, { token, intent: "unsubscribeAll" }), params);
      expect(save.status, token).toBe(400);
    }
    expect((await memberOf(w.siteId, email))!.emailState).toBe("subscribed");
  });
});

describe("the embeddable form", () => {
  /** The app's front (app/entry.server.tsx) with Remix replaced by the join route or a marker. */
  const serve = (request: Request) =>
    front(request, async (routed) => {
      if (new URL(routed.url).pathname === `/${SLUG}/email/join`) {
        const r = await action(joinRoute, routed, params);
        return new Response(null, { status: r.status, headers: r.location ? { Location: r.location } : {} });
      }
      return new Response("reached the route", { status: 200 });
    });

  test("cross-site request forgery: only the embed join route takes a form post from another origin", async () => {
    const email = freshEmail("embed");
    const embedded = await serve(post(`/${SLUG}/email/join`, { email }, undefined, { Origin: EVIL }));
    expect(embedded.status).toBe(303);
    expect(embedded.headers.get("Location")).toBe(`/${SLUG}/email/confirm?email=${encodeURIComponent(email)}`);
    expect(await joinCode(email)).toMatch(/^\d{6}$/);
    for (const path of [`/${SLUG}/email/confirm`, `/${SLUG}/email/unsubscribe`, `/${SLUG}/email/preferences`, `/${SLUG}/subscribe`, `/${SLUG}/x/email/join`, "/email/join", "/login"]) {
      const refused = await serve(post(path, { email, intent: "oneClick" }, undefined, { Origin: EVIL }));
      expect(refused.status, path).toBe(403);
    }
    // The pages' own actions refuse it too (requireSameOrigin), whatever runs in front of them.
    const direct = await action(confirmRoute, post(`/${SLUG}/email/confirm`, { intent: "oneClick" }, undefined, { Origin: EVIL }), params);
    expect(direct.status).toBe(403);
  });

  test("XSS: site name in the embed snippet", () => {
    const html = embedFormHtml("https://press.example/", 'we"ird/slug', `<script>alert(1)</script>" onfocus="alert(2)`);
    expect(html).not.toContain("<script>");
    expect(html).not.toMatch(/"\s*onfocus=/);
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;&quot; onfocus=&quot;alert(2)");
    expect(html).toContain('action="https://press.example/we%22ird%2Fslug/email/join"');
    expect(html.match(/<form /g)).toHaveLength(1);
    expect(html).toContain('name="email"');
  });
});
