import { env } from "../env";
import { appError } from "./errors";

// Signed links for audience members (unsubscribe, preferences) and the hashes of join codes: both
// are HMAC-SHA256 under one secret, MEMBER_TOKEN_SECRET (generated for a fresh local backend by
// local-backend/src/serve.ts ensureAuthEnv). Without it the key is derived from JWT_PRIVATE_KEY,
// which every deployment with sign-in has; with neither, nothing is signed (fail closed).
// A token names its site, member and purpose and is checked with crypto.subtle.verify, which
// compares in constant time. Tokens do not expire: RFC 8058 unsubscribe links must keep working.

/** What a member token lets its holder do; a token for one purpose is refused for the other. */
export type MemberTokenPurpose = "unsubscribe" | "preferences";
const PURPOSE_TAG: Record<MemberTokenPurpose, string> = { unsubscribe: "u", preferences: "p" };
const VERSION = "m1";

const encoder = new TextEncoder();

function notConfigured() {
  return appError("INVALID_STATE", { message: "Member links are not configured on this deployment (set MEMBER_TOKEN_SECRET)." });
}

async function hmacKey(): Promise<CryptoKey> {
  let secret = env.MEMBER_TOKEN_SECRET;
  if (!secret) {
    const jwt = env.JWT_PRIVATE_KEY;
    if (!jwt) throw notConfigured();
    // A separate key for a separate use: HMAC(JWT_PRIVATE_KEY, label), never the signing key itself.
    const base = await crypto.subtle.importKey("raw", encoder.encode(jwt), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    secret = toHex(new Uint8Array(await crypto.subtle.sign("HMAC", base, encoder.encode("pressroom member tokens v1"))));
  }
  return await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

function toBase64Url(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = [(n >> 18) & 63, (n >> 12) & 63, (n >> 6) & 63, n & 63].map((c) => B64URL[c]);
    out += chars.slice(0, Math.min(4, bytes.length - i + 1)).join("");
  }
  return out;
}

/** null when `s` is not unpadded base64url. */
function fromBase64Url(s: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) return null;
  const out: number[] = [];
  for (let i = 0; i < s.length; i += 4) {
    const chunk = s.slice(i, i + 4);
    let n = 0;
    for (let j = 0; j < 4; j++) n = (n << 6) | (j < chunk.length ? B64URL.indexOf(chunk[j]) : 0);
    const bytes = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
    out.push(...bytes.slice(0, chunk.length - 1));
  }
  return new Uint8Array(out);
}

function signedText(siteId: string, memberId: string, purpose: MemberTokenPurpose): Uint8Array<ArrayBuffer> {
  return encoder.encode(`member-token|${VERSION}|${siteId}|${memberId}|${purpose}`);
}

/** A token for one member and purpose: `m1.<siteId>.<memberId>.<u|p>.<base64url HMAC>` (URL-safe). */
export async function signMemberToken(siteId: string, memberId: string, purpose: MemberTokenPurpose): Promise<string> {
  const sig = new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(), signedText(siteId, memberId, purpose)));
  return [VERSION, siteId, memberId, PURPOSE_TAG[purpose], toBase64Url(sig)].join(".");
}

/**
 * The site and member a token was signed for, when it is well formed, for `purpose`, and its
 * signature verifies (constant time). The ids are as signed: the caller still checks they exist
 * and that the member belongs to the site. @returns null otherwise.
 */
export async function verifyMemberToken(token: string, purpose: MemberTokenPurpose): Promise<{ siteId: string; memberId: string } | null> {
  if (typeof token !== "string" || token.length > 512) return null;
  const parts = token.trim().split(".");
  if (parts.length !== 5) return null;
  const [version, siteId, memberId, tag, sigText] = parts;
  if (version !== VERSION || tag !== PURPOSE_TAG[purpose] || !siteId || !memberId) return null;
  const sig = fromBase64Url(sigText);
  if (!sig || sig.length !== 32) return null;
  const ok = await crypto.subtle.verify("HMAC", await hmacKey(), sig, signedText(siteId, memberId, purpose));
  return ok ? { siteId, memberId } : null;
}

/** The stored form of a join code: HMAC of (site, address, code), so a leaked table reveals no code. */
export async function hashJoinCode(siteId: string, email: string, code: string): Promise<string> {
  const sig = await crypto.subtle.sign("HMAC", await hmacKey(), encoder.encode(`join-code|${VERSION}|${siteId}|${email}|${code}`));
  return toHex(new Uint8Array(sig));
}

/** Equality of two strings in time that depends only on their length. */
export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
