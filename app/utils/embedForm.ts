// The embeddable join form (issue #15): an HTML snippet a publication pastes into another site.
// It is a plain form post to POST {SITE_URL}/{slug}/email/join, the one app route that accepts
// cross-origin form posts (app/auth/csrf.server.ts): it only starts a rate-limited join and
// redirects to the code step on this site. Isomorphic (the studio shows it with a copy button).
import { escapeHtml } from "../../convex/shared/html";

/**
 * The snippet for a site: `siteUrl` is the app's origin (SITE_URL), `siteSlug` the publication's
 * slug, `siteName` its display name. Every value is escaped; the slug is also URL-encoded.
 */
export function embedFormHtml(siteUrl: string, siteSlug: string, siteName: string): string {
  const action = `${siteUrl.replace(/\/+$/, "")}/${encodeURIComponent(siteSlug)}/email/join`;
  const name = escapeHtml(siteName);
  return [
    `<form method="post" action="${escapeHtml(action)}" accept-charset="utf-8" style="display:flex;flex-wrap:wrap;gap:0.5rem;align-items:flex-end">`,
    `  <label style="display:grid;gap:0.25rem">Get ${name} by email`,
    `    <input type="email" name="email" required maxlength="254" autocomplete="email" placeholder="you@example.com" style="font:inherit;padding:0.45rem 0.6rem">`,
    `  </label>`,
    `  <button type="submit" style="font:inherit;padding:0.45rem 1rem">Join for free</button>`,
    `</form>`,
  ].join("\n");
}
