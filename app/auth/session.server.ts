// The Remix side of @convex-dev/auth: the session lives in two httpOnly cookies (a short-lived
// Convex JWT and the refresh token); loaders and actions read it here, refresh it shortly before
// the JWT expires, and talk to Convex as the user through a per-request ConvexHttpClient.
// Modelled on @convex-dev/auth's Next.js adapter (src/nextjs/server/request.ts, proxy.ts).
//
// In a loader:  const { user, convex, headers } = await requireUser(request);
//               …convex.query(api.x.y, {})…; return data(payload, { headers });
// (or getUser(request) when signing in is optional). Always pass `headers` on: they carry the
// refreshed cookies. Actions call requireSameOrigin(request) (csrf.server.ts) first.
// The refresh token never leaves the server: pages get at most the JWT (through /api/auth/token).
import { redirect } from "@remix-run/node";
import type { ConvexHttpClient } from "convex/browser";
import { api } from "../../convex/_generated/api";
import { convexClient } from "../utils/convex.server";
import { appendAuthCookies, appendVerifierCookie, readAuthCookies, type Tokens } from "./cookies.server";
import { isSameOriginRequest } from "./csrf.server";
import { type Me } from "./functions.server";
import { currentPath, loginUrl, safeRedirectTo } from "./redirect.server";

export type AuthSession = {
  /** The user's Convex JWT, or null when signed out. */
  token: string | null;
  /** Set-Cookie headers to send with the response (refreshed or cleared cookies); often empty. */
  headers: Headers;
};

const REQUIRED_TOKEN_LIFETIME_MS = 60_000;
const MINIMUM_REQUIRED_TOKEN_LIFETIME_MS = 10_000;

/** A Convex client for one request, authenticated as the user when `token` is given. */
export function convexAs(token: string | null): ConvexHttpClient {
  const client = convexClient();
  if (token) client.setAuth(token);
  return client;
}

/** The JWT's claims, unverified (Convex verifies it on every call); null when malformed. */
export function decodeJwt(token: string): { exp?: number; iat?: number; sub?: string } | null {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
    return claims && typeof claims === "object" ? claims : null;
  } catch {
    return null;
  }
}

/**
 * True when the JWT expires within min(60 s, max(10 s, lifetime / 10)), the Next.js adapter's
 * refresh window, or cannot be read.
 */
export function needsRefresh(token: string, now = Date.now()): boolean {
  const claims = decodeJwt(token);
  if (!claims || typeof claims.exp !== "number") return true;
  const lifetimeMs = typeof claims.iat === "number" ? (claims.exp - claims.iat) * 1000 : 3_600_000;
  const margin = Math.min(REQUIRED_TOKEN_LIFETIME_MS, Math.max(MINIMUM_REQUIRED_TOKEN_LIFETIME_MS, lifetimeMs / 10));
  return claims.exp * 1000 <= now + margin;
}

/** Client details stored with the session (shown on the account page). Display only, not trusted. */
export function clientInfo(request: Request): { ipAddress?: string; userAgent?: string } {
  const forwarded = request.headers.get("X-Forwarded-For")?.split(",")[0]?.trim();
  const ip = forwarded || request.headers.get("X-Real-IP") || undefined;
  const ua = request.headers.get("User-Agent") || undefined;
  return { ipAddress: ip?.slice(0, 64), userAgent: ua?.slice(0, 512) };
}

async function recordSession(request: Request, token: string) {
  try {
    await convexAs(token).mutation(api.account.recordSession, clientInfo(request));
  } catch (error) {
    // Session details are informational; signing in must not fail because of them.
    console.error("account:recordSession failed:", error instanceof Error ? error.message : error);
  }
}

/**
 * Exchanges a refresh token for new tokens (rotation). Null when the session has ended or the
 * token is unknown; the caller then clears the cookies.
 */
export async function refreshTokens(refreshToken: string): Promise<Tokens | null> {
  try {
    const result = await convexAs(null).action(api.auth.signIn, { refreshToken });
    return result.tokens ?? null;
  } catch (error) {
    console.error("Token refresh failed:", error instanceof Error ? error.message : error);
    return null;
  }
}

const sessions = new WeakMap<Request, Promise<AuthSession>>();

/**
 * The request's session, refreshed when the JWT is about to expire (or when `forceRefresh`).
 * Memoised per Request, so parallel loaders of one navigation refresh at most once.
 * Cross-origin requests (an Origin of another host) are treated as signed out, as in the
 * Next.js adapter. Send `session.headers` with the response.
 */
export function getAuthSession(request: Request, options: { forceRefresh?: boolean } = {}): Promise<AuthSession> {
  if (options.forceRefresh) return loadSession(request, true);
  let pending = sessions.get(request);
  if (!pending) {
    pending = loadSession(request, false);
    sessions.set(request, pending);
  }
  return pending;
}

async function loadSession(request: Request, forceRefresh: boolean): Promise<AuthSession> {
  const headers = new Headers();
  const origin = request.headers.get("Origin");
  if (origin !== null && !isSameOriginRequest(request)) return { token: null, headers };
  const { token, refreshToken } = readAuthCookies(request);
  if (token === null && refreshToken === null) return { token: null, headers };
  if (token === null || refreshToken === null) {
    appendAuthCookies(headers, request, null);
    return { token: null, headers };
  }
  if (!forceRefresh && !needsRefresh(token)) return { token, headers };
  // Don't rotate a token minted seconds ago (several tabs forcing a refresh at once).
  const claims = decodeJwt(token);
  if (forceRefresh && !needsRefresh(token) && typeof claims?.iat === "number" && Date.now() - claims.iat * 1000 < 10_000) {
    return { token, headers };
  }
  const fresh = await refreshTokens(refreshToken);
  appendAuthCookies(headers, request, fresh);
  if (fresh) await recordSession(request, fresh.token);
  return { token: fresh?.token ?? null, headers };
}

/** Set-Cookie headers that start a session with `tokens` (replacing any cookies the browser had). */
export async function startSession(request: Request, tokens: Tokens, headers = new Headers()): Promise<Headers> {
  appendAuthCookies(headers, request, tokens);
  await recordSession(request, tokens.token);
  return headers;
}

/** Set-Cookie headers that end the session in the browser. */
export function clearSession(request: Request, headers = new Headers()): Headers {
  return appendAuthCookies(headers, request, null);
}

/**
 * Ends the session in Convex (its refresh tokens stop working) and clears the cookies.
 * Failures in Convex still clear the cookies.
 */
export async function signOut(request: Request): Promise<Headers> {
  const session = await getAuthSession(request);
  if (session.token) {
    try {
      await convexAs(session.token).action(api.auth.signOut, {});
    } catch (error) {
      console.error("auth:signOut failed:", error instanceof Error ? error.message : error);
    }
  }
  return clearSession(request, new Headers());
}

export type SignedInUser = Me;

/**
 * The signed-in user (account:me) and the session, or `user: null` when signed out. A JWT that
 * Convex rejects (ended session, deleted user, rotated keys) counts as signed out and clears the
 * cookies.
 */
export async function getUser(request: Request): Promise<AuthSession & { user: SignedInUser | null }> {
  const session = await getAuthSession(request);
  if (!session.token) return { ...session, user: null };
  try {
    const user = await convexAs(session.token).query(api.account.me, {});
    if (user) return { ...session, user };
  } catch (error) {
    console.error("account:me failed:", error instanceof Error ? error.message : error);
  }
  const headers = new Headers(session.headers);
  headers.delete("Set-Cookie");
  clearSession(request, headers);
  return { token: null, headers, user: null };
}

export type UserContext = {
  user: SignedInUser;
  token: string;
  /** A Convex client acting as the user, for this request only. */
  convex: ConvexHttpClient;
  /** Set-Cookie headers from a refresh: pass them on with the response. */
  headers: Headers;
};

/**
 * The signed-in user, or a redirect to `/login?redirectTo=<this page>` (for UX only: Convex
 * functions check access themselves).
 * @throws redirect Response when signed out.
 */
export async function requireUser(request: Request, options: { redirectTo?: string } = {}): Promise<UserContext> {
  const { user, token, headers } = await getUser(request);
  if (!user || !token) {
    const back = options.redirectTo ?? (request.method === "GET" ? currentPath(request) : refererPath(request));
    throw redirect(loginUrl(back), { headers });
  }
  return { user, token, convex: convexAs(token), headers };
}

function refererPath(request: Request): string {
  const referer = request.headers.get("Referer");
  if (!referer) return "/";
  try {
    const url = new URL(referer);
    return url.host === new URL(request.url).host ? `${url.pathname}${url.search}` : "/";
  } catch {
    return "/";
  }
}

/**
 * OAuth / magic-link return (`?code=` on an HTML GET while an OAuth verifier cookie is set):
 * exchanges the code for tokens and redirects to the same URL without `code`, with the cookies
 * set (or cleared when the code is refused). Null when the request isn't such a return.
 */
export async function handleCodeExchange(request: Request): Promise<Response | null> {
  if (request.method !== "GET") return null;
  const url = new URL(request.url);
  const code = url.searchParams.get("code");
  const { verifier } = readAuthCookies(request);
  if (!code || !verifier) return null;
  url.searchParams.delete("code");
  const target = safeRedirectTo(`${url.pathname}${url.search}`, "/");
  const headers = new Headers();
  try {
    const result = await convexAs(null).action(api.auth.signIn, { params: { code }, verifier });
    if (!result.tokens) throw new Error("Invalid `signIn` result for code exchange");
    await startSession(request, result.tokens, headers);
  } catch (error) {
    console.error("OAuth code exchange failed:", error instanceof Error ? error.message : error);
    clearSession(request, headers);
  }
  return redirect(target, { headers });
}

/**
 * Starts an OAuth sign-in: asks Convex for the provider URL, stores the PKCE verifier cookie, and
 * redirects the browser there. The provider returns to `SITE_URL<redirectTo>?code=…`.
 */
export async function startOAuth(request: Request, provider: string, redirectTo: string): Promise<Response> {
  const result = await convexAs(null).action(api.auth.signIn, { provider, params: { redirectTo } });
  if (!result.redirect || !result.verifier) throw new Error(`Provider ${provider} did not start an OAuth flow`);
  const headers = appendVerifierCookie(new Headers(), request, result.verifier);
  return redirect(result.redirect, { headers });
}
