import type { LoaderFunctionArgs } from "@remix-run/node";
import { renderToStaticMarkup } from "react-dom/server";
import { api } from "../../convex/_generated/api";
import { can } from "../../convex/shared/roles";
import { themeFromParams } from "../../convex/shared/theme";
import { ReaderShell } from "../reader/components";
import { HomeView } from "../reader/home-view";
import { toCard } from "../reader/pages.server";
import { accentPair } from "../reader/theme";
import type { SiteData } from "../reader/types";
import { forbidden, loadOrThrow, requireStudio } from "../studio/studio.server";
import readerStyles from "../styles/reader.css?url";
import { escapeHtml } from "../../convex/shared/html";

// GET /studio/:siteId/design/preview?theme=…&fontPair=…: the site's reader home (its real
// published posts) drawn with an UNSAVED theme (themeToParams from the Design form), for the
// form's <iframe name="theme-preview">. A resource route: a whole document of its own, outside the
// studio layout, with no scripts. Only members who may change the site's settings get it; it is
// private (never cached) and may be framed by the studio's own origin only (clickjacking).

const HOME_POSTS = 10;
const FEATURED = 3;

export const PREVIEW_HEADERS = {
  "Content-Type": "text/html; charset=utf-8",
  "Cache-Control": "private, no-store",
  "X-Frame-Options": "SAMEORIGIN",
  "Content-Security-Policy": "frame-ancestors 'self'",
  "X-Robots-Tag": "noindex",
} as const;

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { convex, headers, siteId } = await requireStudio(request, params);
  const settings = await loadOrThrow(convex.query(api.sites.getSettings, { siteId }));
  // Convex decides membership (a stranger gets NOT_FOUND → 404 above); the role table decides who
  // may design the site, the same rule sites.updateTheme enforces on save.
  if (!can(settings.role, "site.settings")) throw forbidden("Only owners and admins can preview the design.");
  const theme = themeFromParams(new URL(request.url).searchParams);
  const [featured, latest] = await Promise.all([
    convex.query(api.reader.featured, { siteSlug: settings.slug, paginationOpts: { numItems: FEATURED, cursor: null } }),
    convex.query(api.reader.latest, { siteSlug: settings.slug, paginationOpts: { numItems: HOME_POSTS, cursor: null } }),
  ]);
  const { accentColor, ...resolved } = theme;
  const site: SiteData = {
    name: settings.name,
    slug: settings.slug,
    description: settings.description,
    logoUrl: settings.logoUrl,
    accent: accentPair(accentColor ?? settings.branding?.accentColor ?? null),
    base: `/${settings.slug}`,
    canonicalBase: `${new URL(request.url).origin}/${settings.slug}`,
    theme: resolved,
    coverUrl: settings.coverUrl,
  };
  const body = renderToStaticMarkup(
    <ReaderShell site={site} viewer={null}>
      <HomeView
        site={site}
        featured={featured.page.map(toCard)}
        latest={{ posts: latest.page.map(toCard), nextCursor: null, first: true }}
        join={null}
      />
    </ReaderShell>,
  );
  const html =
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>Preview · ${escapeHtml(site.name)}</title><meta name="robots" content="noindex"><link rel="stylesheet" href="${escapeHtml(readerStyles)}">` +
    `</head><body>${body}</body></html>`;
  const out = new Headers(headers);
  for (const [k, v] of Object.entries(PREVIEW_HEADERS)) out.set(k, v);
  return new Response(html, { status: 200, headers: out });
}
