import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet, type JWTPayload } from "jose";
import type { UserIdentity } from "./context.js";

/** A provider from `convex/auth.config.ts`. */
type Provider =
  | { type?: undefined; domain: string; applicationID?: string }
  | { type: "customJwt"; issuer: string; jwks: string; algorithm: "RS256" | "ES256"; applicationID?: string };

/** Why a token was refused; the message is what clients see. */
export class AuthError extends Error {
  override name = "AuthError";
}

/** Fetches a URL; the backend passes one that answers its own site URL in-process. */
export type Fetcher = (url: string) => Promise<Response>;

const CLAIMS: Array<[string, string]> = [
  ["name", "name"],
  ["given_name", "givenName"],
  ["family_name", "familyName"],
  ["nickname", "nickname"],
  ["preferred_username", "preferredUsername"],
  ["profile", "profileUrl"],
  ["picture", "pictureUrl"],
  ["website", "website"],
  ["email", "email"],
  ["email_verified", "emailVerified"],
  ["gender", "gender"],
  ["birthdate", "birthday"],
  ["zoneinfo", "timezone"],
  ["locale", "language"],
  ["phone_number", "phoneNumber"],
  ["phone_number_verified", "phoneNumberVerified"],
];
const DROPPED = new Set(["jti", "nbf", "fva", "iat", "exp", "aud", "iss", "sub"]);

function normalizeIssuer(s: string): string {
  const withScheme = /^[a-z]+:\/\//i.test(s) ? s : `https://${s}`;
  return withScheme.replace(/\/+$/, "");
}

/** Builds Convex's UserIdentity from verified claims: standard claims renamed, others kept. */
export function identityFromClaims(payload: JWTPayload): UserIdentity {
  const issuer = String(payload.iss);
  const subject = String(payload.sub);
  const identity: Record<string, unknown> = { tokenIdentifier: `${issuer}|${subject}`, subject, issuer };
  const standard = new Map(CLAIMS);
  for (const [claim, value] of Object.entries(payload)) {
    if (DROPPED.has(claim)) continue;
    if (claim === "address" && value && typeof value === "object") {
      identity.address = (value as { formatted?: string }).formatted;
    } else if (claim === "updated_at") {
      identity.updatedAt = typeof value === "number" ? new Date(value * 1000).toISOString() : value;
    } else {
      identity[standard.get(claim) ?? claim] = value;
    }
  }
  return identity as UserIdentity;
}

/**
 * Verifies user JWTs as Convex does from `auth.config.ts`: the first provider whose issuer (and
 * applicationID, when set) matches the token's unverified `iss`/`aud` is used; OIDC providers
 * are resolved through `/.well-known/openid-configuration` and their JWKS, custom JWT providers
 * through their JWKS URL; `iss`, `aud`, `exp` and the algorithm are checked.
 */
/** How long a fetched JWKS or OpenID configuration, and so a verification made with it, is trusted. */
const KEYS_TTL_MS = 60_000;
/** Verified tokens kept, by the bytes of the tokens (a token is ~1 KB). */
const VERIFIED_MAX_BYTES = 2 * 2 ** 20;

export class JwtVerifier {
  private jwksCache = new Map<string, { at: number; keys: ReturnType<typeof createLocalJWKSet> }>();
  private discoveryCache = new Map<string, { at: number; jwksUri: string }>();
  /**
   * Tokens verified in the last KEYS_TTL_MS, with their identity. Measured (npm run profile, a
   * signed-in reader): every query verified its token again, an RS256 signature check plus an HTTP
   * request for the issuer's OpenID configuration, ~17% of the backend's CPU. A cached answer is
   * used only while the token is unexpired, the auth config is the same object (a push replaces
   * it) and the keys it was checked with would not have been fetched again.
   */
  private verified = new Map<string, { at: number; expMs: number; config: object | null; identity: UserIdentity }>();
  private verifiedBytes = 0;

  constructor(
    private readonly authConfig: () => { providers?: Provider[] } | null,
    private readonly fetcher: Fetcher,
  ) {}

  private async jwks(url: string): Promise<ReturnType<typeof createLocalJWKSet>> {
    const cached = this.jwksCache.get(url);
    if (cached && Date.now() - cached.at < KEYS_TTL_MS) return cached.keys;
    let set: JSONWebKeySet;
    if (url.startsWith("data:")) {
      const comma = url.indexOf(",");
      const body = url.slice(comma + 1);
      set = JSON.parse(url.slice(0, comma).endsWith(";base64") ? Buffer.from(body, "base64").toString() : decodeURIComponent(body));
    } else {
      const res = await this.fetcher(url);
      if (!res.ok) throw new AuthError(`Could not fetch the JWKS at ${url} (HTTP ${res.status}).`);
      set = (await res.json()) as JSONWebKeySet;
    }
    const keys = createLocalJWKSet(set);
    this.jwksCache.set(url, { at: Date.now(), keys });
    return keys;
  }

  /** The issuer's `jwks_uri`, from its OpenID configuration (fetched at most once a KEYS_TTL_MS). */
  private async discover(issuer: string): Promise<string> {
    const cached = this.discoveryCache.get(issuer);
    if (cached && Date.now() - cached.at < KEYS_TTL_MS) return cached.jwksUri;
    const discovery = await this.fetcher(`${issuer}/.well-known/openid-configuration`);
    if (!discovery.ok) throw new AuthError(`OpenID discovery failed for ${issuer} (HTTP ${discovery.status}).`);
    const jwksUri = ((await discovery.json()) as { jwks_uri: string }).jwks_uri;
    this.discoveryCache.set(issuer, { at: Date.now(), jwksUri });
    return jwksUri;
  }

  async verify(token: string): Promise<UserIdentity> {
    const config = this.authConfig();
    const known = this.verified.get(token);
    const now = Date.now();
    if (known && known.config === config && now - known.at < KEYS_TTL_MS && now < known.expMs) return known.identity;
    const { identity, exp } = await this.verifyAgainst(token, config);
    this.remember(token, config, identity, exp, now);
    return identity;
  }

  private remember(token: string, config: object | null, identity: UserIdentity, exp: number | undefined, at: number) {
    if (typeof exp !== "number") return;
    const old = this.verified.get(token);
    if (old) this.verified.delete(token);
    else this.verifiedBytes += token.length;
    this.verified.set(token, { at, expMs: exp * 1000, config, identity });
    for (const [oldest] of this.verified) {
      if (this.verifiedBytes <= VERIFIED_MAX_BYTES) break;
      this.verified.delete(oldest);
      this.verifiedBytes -= oldest.length;
    }
  }

  /** The verified token's identity and `exp` (from the claims it has already decoded and checked). */
  private async verifyAgainst(token: string, config: { providers?: Provider[] } | null): Promise<{ identity: UserIdentity; exp: number | undefined }> {
    let claims: JWTPayload;
    try {
      claims = decodeJwt(token);
    } catch {
      throw new AuthError("Could not parse the JWT: it is not a well-formed token.");
    }
    if (typeof claims.iss !== "string") throw new AuthError("The JWT has no `iss` claim.");
    const iss = normalizeIssuer(claims.iss);
    const aud = claims.aud === undefined ? [] : Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    const providers = config?.providers ?? [];
    const provider = providers.find((p) => {
      const issuer = p.type === "customJwt" ? p.issuer : p.domain;
      if (!issuer || normalizeIssuer(issuer) !== iss) return false;
      return p.applicationID === undefined || aud.includes(p.applicationID);
    });
    if (!provider) {
      throw new AuthError(
        `No auth provider found matching the given token (issuer ${JSON.stringify(claims.iss)}, audience ${JSON.stringify(aud)}). ` +
          "Check convex/auth.config.ts.",
      );
    }
    let jwksUrl: string;
    let algorithms: string[];
    if (provider.type === "customJwt") {
      jwksUrl = provider.jwks;
      algorithms = [provider.algorithm];
    } else {
      jwksUrl = await this.discover(normalizeIssuer(provider.domain));
      algorithms = ["RS256", "EdDSA"];
    }
    try {
      const { payload } = await jwtVerify(token, await this.jwks(jwksUrl), {
        issuer: [claims.iss],
        audience: provider.applicationID,
        algorithms,
        clockTolerance: provider.type === "customJwt" ? 5 : 0,
        requiredClaims: ["sub", "iss", "exp"],
      });
      return { identity: identityFromClaims(payload), exp: payload.exp };
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === "ERR_JWT_EXPIRED") throw new AuthError("Token expired");
      throw new AuthError(`Could not verify the JWT: ${(e as Error).message}`);
    }
  }
}
