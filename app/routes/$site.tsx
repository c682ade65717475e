import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Outlet, isRouteErrorResponse, useLoaderData, useRouteError } from "@remix-run/react";
import { ReaderError, ReaderShell } from "../reader/components";
import { requireSite } from "../reader/pages.server";
import { readerHeaders } from "../reader/http.server";
import readerStyles from "../styles/reader.css?url";
import { readerViewer } from "../reader/viewer.server";

// The reader site's layout: every /{site}/… page renders inside it. It resolves the publication
// (a 404 for unknown sites), applies its theme (ReaderShell: data-theme/-home-layout/-color-scheme,
// fonts, accent) and draws the chrome (banner with the viewer's account links, navigation, main
// landmark, footer). Feeds and sitemaps are resource routes: it never runs for them.

/** root.tsx: no platform account bar (the reader header has its own), and no scripts (reader pages need none). */
export const handle = { chrome: "reader", scripts: false };

export const links: LinksFunction = () => [{ rel: "stylesheet", href: readerStyles }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { site, client, resolved } = await requireSite(request, params);
  // A post page's slug is asked with the viewer's standing: the page needs its body key (post-page.server.ts).
  const viewer = await readerViewer(client, resolved, params.postSlug);
  return { site, viewer };
}

export const headers = readerHeaders;

export default function SiteLayout() {
  const { site, viewer } = useLoaderData<typeof loader>();
  return (
    <ReaderShell site={site} viewer={viewer}>
      <Outlet />
    </ReaderShell>
  );
}

export const meta: MetaFunction = () => [{ title: "Pressroom" }];

/** Unknown publication (the layout's own loader threw): a plain page, there is no site chrome to show. */
export function ErrorBoundary() {
  const error = useRouteError();
  const notFound = isRouteErrorResponse(error) && error.status === 404;
  return (
    <div className="reader" data-theme="classic" data-home-layout="list" data-color-scheme="auto">
      <main id="main" className="wrap main">
        {notFound ? (
          <div className="error-page" data-testid="reader-error" data-status={404}>
            <header className="page-header">
              <p className="page-header__kicker">404</p>
              <h1>Publication not found</h1>
              <p className="lede">There's no publication at this address.</p>
            </header>
            <p>
              <a href="/">Browse publications on Pressroom</a>
            </p>
          </div>
        ) : (
          <ReaderError site={undefined} error={error} />
        )}
      </main>
    </div>
  );
}
