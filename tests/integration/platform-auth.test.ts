// Issue #16, platform side of the auth routes: a new account lands in the studio (with "Create a
// publication" first when it came from "Start a publication"), and sign-in pages reached from a
// publication are branded with it, without any parameter becoming a link off the platform.
import { makeFunctionReference } from "convex/server";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import type { LocalBackend } from "../../local-backend/src/backend";
import * as forgotRoute from "../../app/routes/forgot-password";
import * as loginRoute from "../../app/routes/login";
import * as signupRoute from "../../app/routes/signup";
import * as studioRoute from "../../app/routes/studio._index";
import * as verifyRoute from "../../app/routes/verify";
import { codeFor, startAuthBackend, tokenClient } from "../support/auth";
import { keepProcessEnv, stopAppBackend } from "../support/live-backend";
import { OPEN_REDIRECT_CORPUS } from "../support/open-redirect-corpus";
import { absorb, action, freshEmail, get, jwtIn, loader, ORIGIN as LOCAL, PASSWORD, post, type Jar } from "../support/remix-app";

const createSite = makeFunctionReference<"mutation">("sites:create");

let backend: LocalBackend;
let restoreEnv: () => void;

beforeAll(async () => {
  ({ backend } = await startAuthBackend("platform-auth-", LOCAL));
  restoreEnv = keepProcessEnv("CONVEX_URL", "AUTH_MIN_RESPONSE_MS", "READER_CACHE");
  process.env.CONVEX_URL = backend.url;
  process.env.READER_CACHE = "off";
});

afterAll(async () => {
  restoreEnv?.();
  await stopAppBackend(backend);
});

beforeEach(() => {
  process.env.AUTH_MIN_RESPONSE_MS = "0";
});

/** Signs up through /signup?… (the loader's redirectTo goes into the form, as the page does) and verifies. */
async function signUpFrom(query: string, name = "Nora Newcomer") {
  const email = freshEmail("platform");
  const jar: Jar = new Map();
  const page = await loader(signupRoute, get(`${LOCAL}/signup${query}`, jar));
  expect(page.status).toBe(200);
  const signup = await action(signupRoute, post(`${LOCAL}/signup`, { name, email, password: PASSWORD, redirectTo: page.data.redirectTo }, jar));
  expect(signup.status).toBe(302);
  absorb(jar, signup.headers);
  const verifyUrl = new URL(signup.location!, LOCAL);
  const verifyPage = await loader(verifyRoute, get(verifyUrl.href, jar));
  const code = await codeFor(backend, email, "verify-email");
  const verified = await action(verifyRoute, post(`${LOCAL}/verify`, { provider: "password", email, code, redirectTo: verifyPage.data.redirectTo }, jar));
  expect(verified.status).toBe(302);
  absorb(jar, verified.headers);
  return { email, jar, signup, verified };
}

describe("sign-up lands in the studio", () => {
  test("with no redirectTo, a verified new account lands in /studio", async () => {
    const { signup, verified } = await signUpFrom("");
    expect(signup.location).toBe("/verify?provider=password&redirectTo=%2Fstudio");
    expect(verified.location).toBe("/studio");
  });

  test("Start a publication (intent=publication): /studio?intent=publication, which shows the create form first", async () => {
    const { jar, verified } = await signUpFrom("?intent=publication");
    expect(verified.location).toBe("/studio?intent=publication");
    const studio = await loader(studioRoute, get(`${LOCAL}${verified.location}`, jar));
    expect(studio.status).toBe(200);
    expect(studio.data).toMatchObject({ sites: [], createFirst: true, userName: "Nora Newcomer" });
  });

  test("a page to return to still wins over the studio (a reader signing up from a post goes back to it)", async () => {
    const { verified } = await signUpFrom(`?${new URLSearchParams({ redirectTo: "/daily/a-post" })}`);
    expect(verified.location).toBe("/daily/a-post");
  });

  test("verify without redirectTo: sign-up confirmation falls back to /studio, a sign-in code to /", async () => {
    const jar: Jar = new Map();
    expect((await loader(verifyRoute, get(`${LOCAL}/verify?provider=password`, jar))).data.redirectTo).toBe("/studio");
    expect((await loader(verifyRoute, get(`${LOCAL}/verify?provider=email-code`, jar))).data.redirectTo).toBe("/");
  });

  test("open redirect: intent and redirectTo on /signup never lead off the site", async () => {
    for (const evil of OPEN_REDIRECT_CORPUS) {
      const page = await loader(signupRoute, get(`${LOCAL}/signup?${new URLSearchParams({ redirectTo: evil, intent: "publication" })}`));
      expect(page.data.redirectTo, evil).toBe("/studio?intent=publication");
    }
  });
});

describe("branded sign-in", () => {
  let slug: string;
  beforeAll(async () => {
    const owner = await signUpFrom("", "Brand Owner");
    slug = `brand-${Date.now().toString(36)}`;
    await tokenClient(backend, jwtIn(owner.jar)).mutation(createSite, { name: "The Harbour Light", slug, description: "Tides." });
  });

  test("/login?redirectTo=/{site}/… shows the publication's name and accent, and a way back to it", async () => {
    const page = await loader(loginRoute, get(`${LOCAL}/login?${new URLSearchParams({ redirectTo: `/${slug}/some-post` })}`));
    expect(page.data.branding).toMatchObject({ name: "The Harbour Light", slug, home: `/${slug}/`, logoUrl: null, accent: { light: expect.stringMatching(/^#/) } });
    // Links to sign-up and reset keep the way back (redirectTo already names the site).
    expect(page.data.back).toBe(`?redirectTo=%2F${slug}%2Fsome-post`);
  });

  test("?site={slug} brands sign-up, verify and forgot-password too, and the links carry it on", async () => {
    for (const route of [signupRoute, verifyRoute, forgotRoute, loginRoute]) {
      const page = await loader(route as never, get(`${LOCAL}/x?site=${slug}`));
      expect(page.data.branding?.name).toBe("The Harbour Light");
    }
    expect((await loader(forgotRoute, get(`${LOCAL}/forgot-password?site=${slug}`))).data.back).toBe(`?site=${slug}`);
  });

  test("unbranded without a publication: platform paths, unknown sites, reserved names", async () => {
    for (const q of ["", "?redirectTo=%2Faccount", "?redirectTo=%2Fstudio%2Fabc", "?site=no-such-site-here", "?site=studio"]) {
      expect((await loader(loginRoute, get(`${LOCAL}/login${q}`))).data.branding, q).toBeNull();
    }
  });

  test("open redirect: a site or redirectTo parameter never becomes a link off the platform", async () => {
    const evils = [...OPEN_REDIRECT_CORPUS, `https://evil.example/${slug}/`, `//evil.example/${slug}`];
    for (const evil of evils) {
      for (const param of ["site", "redirectTo"]) {
        const page = await loader(loginRoute, get(`${LOCAL}/login?${new URLSearchParams({ [param]: evil })}`));
        expect(page.data.branding, `${param}=${evil}`).toBeNull();
        expect(page.data.redirectTo).toBe("/");
        expect(page.data.back).toBe("");
      }
    }
  });
});
