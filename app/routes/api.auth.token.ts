import type { LoaderFunctionArgs } from "@remix-run/node";
import { isCrossSiteRead } from "../auth/csrf.server";
import { getAuthSession } from "../auth/session.server";

/**
 * GET /api/auth/token → `{ token: string | null }`: the signed-in user's short-lived Convex JWT,
 * for the browser's ConvexReactClient (`client.setAuth(fetchToken)` in root.tsx). Same-origin
 * only. `?refresh=1` (the client's forceRefreshToken) rotates the session first. The refresh
 * token never leaves the httpOnly cookie; refreshed cookies come back as Set-Cookie.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  const headers = new Headers({
    "Content-Type": "application/json; charset=utf-8",
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
    Vary: "Cookie",
  });
  if (isCrossSiteRead(request)) {
    return new Response(JSON.stringify({ error: "Cross-site request refused." }), { status: 403, headers });
  }
  const forceRefresh = new URL(request.url).searchParams.get("refresh") === "1";
  const session = await getAuthSession(request, { forceRefresh });
  for (const cookie of session.headers.getSetCookie()) headers.append("Set-Cookie", cookie);
  return new Response(JSON.stringify({ token: session.token }), { status: 200, headers });
}
