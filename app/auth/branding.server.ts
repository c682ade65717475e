import { api } from "../../convex/_generated/api";
import { anonymousReaderClient } from "../reader/client.server";
import { isPossibleSiteSlug } from "../reader/site.server";
import { accentPair } from "../reader/theme";
import { safeRedirectTo } from "./redirect.server";

// Sign-in pages reached from a publication (issue #16): `/login?redirectTo=/{site}/…` or
// `?site={slug}` show that publication's logo, name and accent, and a way back to it. Nothing from
// the URL is echoed: the slug only selects a site that exists (sites:getPublic), and every link is
// built from that site's own slug, so neither parameter can point anywhere off the platform.

export interface AuthBranding {
  name: string;
  slug: string;
  logoUrl: string | null;
  accent: { light: string; dark: string };
  /** The publication's home on the platform host. */
  home: string;
}

/** The site slug a sign-in page was reached from: `site`, else the first segment of a same-site `redirectTo`. */
export function brandingSlug(searchParams: URLSearchParams): string | null {
  const site = searchParams.get("site");
  if (site !== null) return isPossibleSiteSlug(site) ? site : null;
  const redirectTo = safeRedirectTo(searchParams.get("redirectTo"), "");
  const first = redirectTo.split(/[/?#]/)[1];
  return isPossibleSiteSlug(first) ? first : null;
}

/** The branding of the publication a sign-in page was reached from, or null (the plain Pressroom card). */
export async function authBranding(request: Request): Promise<AuthBranding | null> {
  const slug = brandingSlug(new URL(request.url).searchParams);
  if (!slug) return null;
  try {
    // Public by nature (the site's own header shows it): the anonymous, cached client.
    const site = await anonymousReaderClient().query(api.sites.getPublic, { slug });
    if (!site) return null;
    return { name: site.name, slug: site.slug, logoUrl: site.logoUrl, accent: accentPair(site.accentColor), home: `/${encodeURIComponent(site.slug)}/` };
  } catch (error) {
    // The page still works unbranded.
    console.error(`sites:getPublic failed for sign-in branding "${slug}":`, error);
    return null;
  }
}

/** The query the auth pages pass on between each other: redirectTo (when not "/") and the branding site. */
export function authQuery(redirectTo: string, branding: { slug: string } | null, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams(extra);
  if (redirectTo !== "/") q.set("redirectTo", redirectTo);
  // Only needed when redirectTo does not already name the site.
  if (branding && !redirectTo.startsWith(`/${branding.slug}/`) && redirectTo !== `/${branding.slug}`) q.set("site", branding.slug);
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** Where a new account lands: the page it came from, else the studio (which offers "Create a publication" first). */
export function signupRedirect(searchParams: URLSearchParams): string {
  const fallback = searchParams.get("intent") === "publication" ? "/studio?intent=publication" : "/studio";
  return safeRedirectTo(searchParams.get("redirectTo"), fallback);
}
