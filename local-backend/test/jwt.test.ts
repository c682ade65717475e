import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { beforeAll, describe, expect, test, vi } from "vitest";
import { JwtVerifier } from "../src/runtime/auth.js";

// JWT verification as Convex does it from auth.config.ts, for custom JWT providers (JWKS from a
// URL or data: URI) and OIDC providers (discovery), without a running backend.

let rs: CryptoKeyPair;
let other: CryptoKeyPair;
let jwksDataUri: string;
const ISSUER = "https://issuer.example.com";

beforeAll(async () => {
  rs = (await generateKeyPair("RS256", { extractable: true })) as CryptoKeyPair;
  other = (await generateKeyPair("RS256", { extractable: true })) as CryptoKeyPair;
  const jwk = { ...(await exportJWK(rs.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
  jwksDataUri = `data:application/json;base64,${Buffer.from(JSON.stringify({ keys: [jwk] })).toString("base64")}`;
});

function token(claims: Record<string, unknown>, key: CryptoKey = rs.privateKey, exp = "1h") {
  return new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: "k1" }).setIssuedAt().setExpirationTime(exp).sign(key);
}

const noFetch = async (u: string): Promise<Response> => {
  throw new Error(`unexpected fetch ${u}`);
};

describe("custom JWT providers", () => {
  const verifier = () =>
    new JwtVerifier(
      () => ({ providers: [{ type: "customJwt", issuer: ISSUER, jwks: jwksDataUri, algorithm: "RS256", applicationID: "pressroom" }] }),
      noFetch,
    );

  test("a valid token yields Convex's identity: tokenIdentifier, renamed standard claims, custom claims kept", async () => {
    const jwt = await token({ iss: ISSUER, sub: "user-1", aud: "pressroom", name: "Ada", email: "ada@example.com", email_verified: true, plan: "pro" });
    const identity = await verifier().verify(jwt);
    expect(identity).toMatchObject({
      tokenIdentifier: `${ISSUER}|user-1`,
      subject: "user-1",
      issuer: ISSUER,
      name: "Ada",
      email: "ada@example.com",
      emailVerified: true,
      plan: "pro",
    });
    expect(identity).not.toHaveProperty("exp");
  });

  test.each([
    ["a token signed by another key (forged)", async () => token({ iss: ISSUER, sub: "u", aud: "pressroom" }, other.privateKey), /verify/i],
    ["a token for another audience", async () => token({ iss: ISSUER, sub: "u", aud: "someone-else" }), /No auth provider/],
    ["a token from another issuer", async () => token({ iss: "https://evil.example.com", sub: "u", aud: "pressroom" }), /No auth provider/],
    ["an expired token", async () => token({ iss: ISSUER, sub: "u", aud: "pressroom" }, rs.privateKey, "-10m"), /expired/i],
    ["garbage", async () => "not.a.jwt", /parse|well-formed/i],
  ])("refuses %s", async (_label, make, message) => {
    await expect(verifier().verify(await make())).rejects.toThrow(message);
  });

  test("refuses a token whose algorithm is not the provider's", async () => {
    const es = await generateKeyPair("ES256");
    const jwt = await new SignJWT({ iss: ISSUER, sub: "u", aud: "pressroom" }).setProtectedHeader({ alg: "ES256", kid: "k1" }).setExpirationTime("1h").sign(es.privateKey);
    await expect(verifier().verify(jwt)).rejects.toThrow();
  });
});

describe("OIDC providers", () => {
  test("discovery then JWKS; the first matching provider is used", async () => {
    const fetched: string[] = [];
    const jwks = { keys: [{ ...(await exportJWK(rs.publicKey)), kid: "k1", alg: "RS256", use: "sig" }] };
    const fetcher = async (u: string) => {
      fetched.push(u);
      if (u === `${ISSUER}/.well-known/openid-configuration`) {
        return Response.json({ issuer: ISSUER, jwks_uri: `${ISSUER}/.well-known/jwks.json` });
      }
      if (u === `${ISSUER}/.well-known/jwks.json`) return Response.json(jwks);
      return new Response("nope", { status: 404 });
    };
    const verifier = new JwtVerifier(() => ({ providers: [{ domain: ISSUER, applicationID: "convex" }] }), fetcher);
    const identity = await verifier.verify(await token({ iss: ISSUER, sub: "abc", aud: "convex" }));
    expect(identity.tokenIdentifier).toBe(`${ISSUER}|abc`);
    expect(fetched).toEqual([`${ISSUER}/.well-known/openid-configuration`, `${ISSUER}/.well-known/jwks.json`]);
    await expect(verifier.verify(await token({ iss: ISSUER, sub: "abc", aud: "other" }))).rejects.toThrow(/No auth provider/);
  });
});

describe("verified tokens are remembered (issue #18: every query used to verify its token again)", () => {
  async function counted() {
    const fetched: string[] = [];
    const jwks = { keys: [{ ...(await exportJWK(rs.publicKey)), kid: "k1", alg: "RS256", use: "sig" }] };
    const fetcher = async (u: string) => {
      fetched.push(u);
      if (u.endsWith("/openid-configuration")) return Response.json({ issuer: ISSUER, jwks_uri: `${ISSUER}/.well-known/jwks.json` });
      return Response.json(jwks);
    };
    let config: object = { providers: [{ domain: ISSUER, applicationID: "convex" }] };
    const verifier = new JwtVerifier(() => config as any, fetcher);
    return { fetched, verifier, push: () => (config = { providers: [{ domain: ISSUER, applicationID: "convex" }] }) };
  }

  test("the same token again is not verified again: no discovery, no JWKS fetch, the same identity", async () => {
    const { fetched, verifier } = await counted();
    const jwt = await token({ iss: ISSUER, sub: "abc", aud: "convex" });
    const first = await verifier.verify(jwt);
    expect(fetched).toHaveLength(2);
    expect(await verifier.verify(jwt)).toEqual(first);
    expect(fetched).toHaveLength(2);
    // Another token for the same issuer reuses the discovery and keys (fetched at most once a minute).
    await verifier.verify(await token({ iss: ISSUER, sub: "other", aud: "convex" }));
    expect(fetched).toHaveLength(2);
  });

  test("a remembered token that has expired is refused", async () => {
    const { verifier } = await counted();
    const jwt = await token({ iss: ISSUER, sub: "abc", aud: "convex" }, rs.privateKey, "30s");
    await verifier.verify(jwt);
    // 40 s on, the clock only (a slow machine cannot expire the token before the first check): past
    // the token's end, within the 60 s a verification is trusted, so only the token's own end refuses it.
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 40_000 });
    try {
      await expect(verifier.verify(jwt)).rejects.toThrow(/expired/i);
    } finally {
      vi.useRealTimers();
    }
  });

  test("a new auth config (a push) verifies again, and a forged token is never remembered as valid", async () => {
    const { verifier, push } = await counted();
    const jwt = await token({ iss: ISSUER, sub: "abc", aud: "convex" });
    await verifier.verify(jwt);
    push();
    const forged = await token({ iss: ISSUER, sub: "abc", aud: "convex" }, other.privateKey);
    await expect(verifier.verify(forged)).rejects.toThrow(/verify/i);
    await expect(verifier.verify(forged)).rejects.toThrow(/verify/i);
    expect((await verifier.verify(jwt)).subject).toBe("abc");
  });
});
