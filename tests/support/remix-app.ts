// The Remix app's routes called directly, as a browser would reach them: Requests with a cookie
// jar, a route's loader or action run to an outcome (thrown Responses included), Set-Cookie read
// back into the jar, and sign-up/sign-in through the real auth routes. The app reads CONVEX_URL:
// point it at the test backend (live-backend.ts keepProcessEnv restores it).
import type { ConvexHttpClient } from "convex/browser";
import { expect } from "vitest";
import type { LocalBackend } from "../../local-backend/src/backend";
import * as loginRoute from "../../app/routes/login";
import * as signupRoute from "../../app/routes/signup";
import * as verifyRoute from "../../app/routes/verify";
import { codeFor, tokenClient } from "./auth";

/** The app's origin in these tests (localhost: cookies without the __Host- prefix). */
export const ORIGIN = "http://localhost:3000";
export const PASSWORD = "correct horse battery";
export const JWT = "__convexAuthJWT";
export const REFRESH = "__convexAuthRefreshToken";

export type Jar = Map<string, string>;
export type Route = { loader?: (args: any) => any; action?: (args: any) => any };
export type Outcome = { status: number; headers: Headers; data: any; location: string | null };
export type SetCookie = { name: string; value: string; attrs: Record<string, string | true> };

let counter = 0;
/** An address no other test in the run uses. */
export const freshEmail = (tag: string) => `${tag}-${Date.now().toString(36)}-${counter++}@example.com`;

/** The Cookie header a browser would send with the jar. */
export function cookieHeader(jar?: Jar): Record<string, string> {
  if (!jar || jar.size === 0) return {};
  return { Cookie: [...jar].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("; ") };
}

/** A path ("/studio") is on ORIGIN; a full URL keeps its own origin. */
const absolute = (urlOrPath: string) => (urlOrPath.startsWith("/") ? `${ORIGIN}${urlOrPath}` : urlOrPath);

/** A GET with the jar's cookies. */
export function get(urlOrPath: string, jar?: Jar, headers: Record<string, string> = {}): Request {
  return new Request(absolute(urlOrPath), { headers: { ...cookieHeader(jar), "User-Agent": "vitest", ...headers } });
}

/** A same-origin form POST with the jar's cookies (an array value repeats the field). */
export function post(urlOrPath: string, fields: Record<string, string | string[]>, jar?: Jar, headers: Record<string, string> = {}): Request {
  const url = absolute(urlOrPath);
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
  return new Request(url, {
    method: "POST",
    headers: { Origin: new URL(url).origin, "User-Agent": "vitest", ...cookieHeader(jar), ...headers },
    body,
  });
}

/** Runs a route's loader or action; a thrown Response is its outcome like a returned one. */
export async function runRoute(kind: "loader" | "action", route: Route, request: Request, params: Record<string, string> = {}): Promise<Outcome> {
  let result: any;
  try {
    result = await route[kind]!({ request, params, context: {} });
  } catch (thrown) {
    if (!(thrown instanceof Response)) throw thrown;
    result = thrown;
  }
  if (result instanceof Response) {
    const type = result.headers.get("Content-Type") ?? "";
    const data = type.includes("json") ? await result.clone().json() : await result.clone().text();
    return { status: result.status, headers: result.headers, data, location: result.headers.get("Location") };
  }
  if (result && result.type === "DataWithResponseInit") {
    const init = result.init ?? {};
    return { status: init.status ?? 200, headers: new Headers(init.headers), data: result.data, location: null };
  }
  return { status: 200, headers: new Headers(), data: result, location: null };
}

export const loader = (route: Route, request: Request, params?: Record<string, string>) => runRoute("loader", route, request, params);
export const action = (route: Route, request: Request, params?: Record<string, string>) => runRoute("action", route, request, params);

/** The Set-Cookie lines of a response, parsed (attribute names lower-cased). */
export function setCookies(headers: Headers): SetCookie[] {
  return headers.getSetCookie().map((line) => {
    const [pair, ...rest] = line.split(";").map((s) => s.trim());
    const eq = pair.indexOf("=");
    const attrs: Record<string, string | true> = {};
    for (const a of rest) {
      const i = a.indexOf("=");
      attrs[(i < 0 ? a : a.slice(0, i)).toLowerCase()] = i < 0 ? true : a.slice(i + 1);
    }
    return { name: pair.slice(0, eq), value: decodeURIComponent(pair.slice(eq + 1)), attrs };
  });
}

/** The last Set-Cookie of `name` in a response. */
export function cookie(headers: Headers, name: string): SetCookie | undefined {
  return setCookies(headers)
    .filter((c) => c.name === name)
    .at(-1);
}

/** Whether a Set-Cookie deletes the cookie (Max-Age=0 or an empty value). */
export function isExpired(c: SetCookie | undefined): boolean {
  return !!c && (c.attrs["max-age"] === "0" || c.value === "");
}

/** Applies a response's Set-Cookie headers to the jar, like a browser. */
export function absorb(jar: Jar, headers: Headers): Jar {
  for (const c of setCookies(headers)) {
    if (isExpired(c)) jar.delete(c.name);
    else jar.set(c.name, c.value);
  }
  return jar;
}

/** The session JWT in a jar (named with the __Host- prefix off localhost). */
export const jwtIn = (jar: Jar) => jar.get(JWT) ?? jar.get(`__Host-${JWT}`);

/**
 * Signs up through the routes (sign-up, the code from the outbox, verify) on `base`; returns the
 * signed-in cookie jar.
 */
export async function signUpThroughApp(
  backend: LocalBackend,
  email: string,
  { base = ORIGIN, name = "Ada Lovelace", redirectTo = "/", password = PASSWORD }: { base?: string; name?: string; redirectTo?: string; password?: string } = {},
): Promise<Jar> {
  const jar: Jar = new Map();
  const signup = await action(signupRoute, post(`${base}/signup`, { name, email, password, redirectTo }, jar));
  expect(signup.status).toBe(302);
  absorb(jar, signup.headers);
  const code = await codeFor(backend, email, "verify-email");
  const verified = await action(verifyRoute, post(`${base}/verify`, { provider: "password", email, code, redirectTo }, jar));
  expect(verified.status).toBe(302);
  absorb(jar, verified.headers);
  expect(jwtIn(jar)).toBeTruthy();
  return jar;
}

/** Signs in with a password through /login on `base`, into `jar`; the action's outcome and the jar. */
export async function signInThroughApp(email: string, password = PASSWORD, jar: Jar = new Map(), base = ORIGIN) {
  const result = await action(loginRoute, post(`${base}/login`, { intent: "password", email, password, redirectTo: "/account" }, jar));
  absorb(jar, result.headers);
  return { result, jar };
}

export type AppUser = { email: string; jar: Jar; convex: ConvexHttpClient };

/** A new user (address from `tag`) signed up through the routes: their jar and a Convex client as them. */
export async function appUser(backend: LocalBackend, tag: string, name: string, redirectTo = "/studio"): Promise<AppUser> {
  const email = freshEmail(tag);
  const jar = await signUpThroughApp(backend, email, { name, redirectTo });
  return { email, jar, convex: tokenClient(backend, jwtIn(jar)) };
}
