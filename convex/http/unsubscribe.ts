import { internal } from "../_generated/api";
import { httpAction } from "../lib/functions";
import { errorCodeOf } from "../shared/errors";
import { plainText } from "./respond";

// POST /unsubscribe?token=…[&newsletter=…] (route in convex/http.ts): the one-click unsubscribe of
// RFC 8058, which the List-Unsubscribe header of every post email names (with List-Unsubscribe-Post:
// List-Unsubscribe=One-Click). Mail providers POST that body without cookies or a session, so the
// signed token (convex/lib/memberTokens.ts) is the whole authority; the same rule as the
// `audience.unsubscribe` mutation applies. A GET never unsubscribes: link scanners follow GETs.

/** Member tokens are ~100 characters; anything far longer is not one. */
const MAX_TOKEN_LENGTH = 512;
const MAX_BODY_BYTES = 4096;


export const oneClickUnsubscribe = httpAction(async (ctx, request) => {
  const url = new URL(request.url);
  const token = url.searchParams.get("token");
  if (!token || token.length > MAX_TOKEN_LENGTH) return plainText(400, "This unsubscribe link is not valid.");
  const body = await request.text();
  if (body.length > MAX_BODY_BYTES || new URLSearchParams(body).get("List-Unsubscribe") !== "One-Click") {
    return plainText(400, "A one-click unsubscribe posts List-Unsubscribe=One-Click (RFC 8058).");
  }
  try {
    await ctx.runMutation(internal.audience.unsubscribeOneClick, { token, newsletter: url.searchParams.get("newsletter") ?? undefined });
  } catch (e) {
    if (errorCodeOf(e) === "INVALID_LINK") return plainText(400, "This unsubscribe link is not valid.");
    throw e;
  }
  return plainText(200, "You are unsubscribed.");
});
