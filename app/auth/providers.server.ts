// OAuth sign-in buttons. @convex-dev/auth only has a GitHub or Google provider when the backend
// is configured with its client id and secret (AUTH_GITHUB_ID/SECRET, AUTH_GOOGLE_ID/SECRET), and
// the app cannot see the backend's env, so the Remix server is told which to offer:
// `AUTH_OAUTH_PROVIDERS=github,google` (unset: none).

import { serverEnv } from "../env.server";

const KNOWN = { github: "GitHub", google: "Google" } as const;

export type OAuthProvider = { id: keyof typeof KNOWN; name: string };

export function oauthProviders(): OAuthProvider[] {
  const wanted = (serverEnv.AUTH_OAUTH_PROVIDERS ?? "")
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  return (Object.keys(KNOWN) as (keyof typeof KNOWN)[])
    .filter((id) => wanted.includes(id))
    .map((id) => ({ id, name: KNOWN[id] }));
}
