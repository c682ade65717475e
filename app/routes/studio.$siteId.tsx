import { data, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { isRouteErrorResponse, Link, NavLink, Outlet, useLoaderData, useLocation, useRouteError } from "@remix-run/react";
import { useEffect, useState } from "react";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { UNEXPECTED_MESSAGE } from "../../convex/shared/errors";
import { useHydrated } from "../studio/format";
import { useLive } from "../studio/live";
import { can, ROLE_LABELS } from "../../convex/shared/roles";
import { loadOrThrow, privateHeaders, requireStudio } from "../studio/studio.server";
import studioStyles from "../styles/studio.css?url";
import studioEditorStyles from "../styles/studio/editor.css?url";
import studioLayoutStyles from "../styles/studio/layout.css?url";

// /studio/:siteId/*: the studio of one publication. Its navigation shows only what the viewer's
// role can use (docs/roles.md); Convex enforces the rules whatever the page shows. Members of other
// sites and strangers get the same 404 as a missing site.
//
// On small screens (studio.css, below 52rem) the sidebar is a compact top bar whose "Menu" opens
// the navigation: a link to #studio-menu (opened by :target, so it works without JavaScript) that
// becomes a button with aria-expanded once hydrated.

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: studioStyles },
  { rel: "stylesheet", href: studioEditorStyles },
  { rel: "stylesheet", href: studioLayoutStyles },
];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { convex, headers, siteId, user } = await requireStudio(request, params);
  const settings = await loadOrThrow(convex.query(api.sites.getSettings, { siteId }));
  return data(
    {
      site: { _id: settings._id, name: settings.name, slug: settings.slug, role: settings.role },
      viewerId: user._id,
    },
    { headers: privateHeaders(headers) },
  );
}

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data ? `${data.site.name} · Studio` : "Studio · Pressroom" }];

export default function StudioSiteLayout() {
  const { site: initial } = useLoaderData<typeof loader>();
  // Live: a rename or a role change shows at once (the role decides the navigation).
  const { data: settings } = useLive(api.sites.getSettings, { siteId: initial._id as Id<"sites"> }, null);
  const site = settings ? { _id: settings._id, name: settings.name, slug: settings.slug, role: settings.role } : initial;
  const role = site.role;
  const base = `/studio/${site._id}`;
  const hydrated = useHydrated();
  const [menuOpen, setMenuOpen] = useState(false);
  const location = useLocation();
  // Following a link closes the menu.
  useEffect(() => setMenuOpen(false), [location.pathname, location.search]);
  return (
    <div className="studio st-layout">
      <aside className="st-sidebar">
        <p className="st-sidebar__site">
          <Link to="/studio" className="st-muted st-sidebar__all">
            ← All publications
          </Link>
          <strong data-testid="studio-site-name">{site.name}</strong>
          <span className="st-muted st-sidebar__role">{ROLE_LABELS[role]}</span>
        </p>
        <a
          href="#studio-menu"
          className="st-button st-menu-toggle"
          aria-controls="studio-menu"
          {...(hydrated ? { role: "button", "aria-expanded": menuOpen } : {})}
          onClick={(e) => {
            e.preventDefault();
            setMenuOpen((open) => !open);
          }}
          data-testid="studio-menu-toggle"
        >
          Menu
        </a>
        <div id="studio-menu" className={`st-menu${menuOpen ? " is-open" : ""}`}>
          <nav aria-label="Studio">
            <ul className="st-nav">
              <li>
                <NavLink to={base} end>
                  Posts
                </NavLink>
              </li>
              {can(role, "post.review") ? (
                <li>
                  <NavLink to={`${base}/review`}>Review queue</NavLink>
                </li>
              ) : null}
              <li>
                <NavLink to={`${base}/tags`}>Tags</NavLink>
              </li>
              <li>
                <NavLink to={`${base}/categories`}>Categories</NavLink>
              </li>
              <li>
                <NavLink to={`${base}/members`}>Members</NavLink>
              </li>
              {can(role, "audience.manage") ? (
                <>
                  <li>
                    <NavLink to={`${base}/audience`}>Audience</NavLink>
                  </li>
                  <li>
                    <NavLink to={`${base}/newsletters`}>Newsletters</NavLink>
                  </li>
                </>
              ) : null}
              {can(role, "site.settings") ? <li><NavLink to={`${base}/design`}>Design</NavLink></li> : null}
              {can(role, "site.settings") ? (
                <li>
                  <NavLink to={`${base}/settings`}>Settings</NavLink>
                </li>
              ) : null}
              {can(role, "site.import") ? (
                <li>
                  <NavLink to={`${base}/migrate`}>Import &amp; export</NavLink>
                </li>
              ) : null}
              {can(role, "billing.manage") ? (
                <li>
                  <NavLink to={`${base}/plans`}>Plans &amp; revenue</NavLink>
                </li>
              ) : null}
              {can(role, "audit.read") ? (
                <li>
                  <NavLink to={`${base}/audit`}>Audit log</NavLink>
                </li>
              ) : null}
              <li>
                <a href={`/${site.slug}/`}>View site ↗</a>
              </li>
            </ul>
          </nav>
          {/* A link, not a form: the new-post page creates the post on the first real change. */}
          <Link to={`${base}/posts/new`} className="st-button st-button--primary st-sidebar__new" data-testid="new-post">
            New post
          </Link>
          {hydrated ? null : (
            <a href="#" className="st-menu-close">
              Close menu
            </a>
          )}
        </div>
      </aside>
      <div className="st-main">
        <Outlet />
      </div>
    </div>
  );
}

export function ErrorBoundary() {
  const error = useRouteError();
  const status = isRouteErrorResponse(error) ? error.status : 500;
  return (
    <main id="main" className="studio st-page" data-testid="studio-error" data-status={status}>
      <h1>{status === 404 ? "Not found" : status === 403 ? "Not allowed" : "Something went wrong"}</h1>
      <p>
        {status === 404
          ? "This publication doesn't exist, or you're not a member of it."
          : status === 403
            ? "Your role in this publication doesn't allow that."
            : UNEXPECTED_MESSAGE}
      </p>
      <p>
        <Link to="/studio">Back to your publications</Link>
      </p>
    </main>
  );
}
