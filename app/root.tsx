import { data, type LinksFunction, type LoaderFunctionArgs } from "@remix-run/node";
import {
  Form,
  Link,
  Links,
  Meta,
  Outlet,
  Scripts,
  ScrollRestoration,
  isRouteErrorResponse,
  useLoaderData,
  useLocation,
  useMatches,
  useRouteError,
  useRouteLoaderData,
} from "@remix-run/react";
import { ConvexProvider, ConvexReactClient } from "convex/react";
import { useEffect, useRef, useState } from "react";
import { getUser, handleCodeExchange } from "./auth/session.server";
import { requestHost } from "./reader/site.server";
import styles from "./styles/app.css?url";
import { convexUrl } from "./utils/convex.server";
import { shipsNoScripts } from "./utils/route-handle";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: styles }];

export function Layout({ children }: { children: React.ReactNode }) {
  // A site's own host serves its pages at paths the client router does not know (the server
  // rewrites /x to /{site}/x, app/reader/front.server.ts), so those pages are not hydrated: they
  // are plain server-rendered HTML, which every reader page is built to work as.
  const siteHost = useRouteLoaderData<typeof loader>("root")?.siteHost ?? false;
  // Pages whose route says `handle.scripts === false` (reader pages: contract #16) need no JavaScript:
  // no <Scripts/> (which also writes the modulepreload links) and no <ScrollRestoration/>.
  const noScripts = shipsNoScripts(useMatches().map((m) => m.handle));
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body>
        {/* First focusable element on every page; each page's <main> carries id="main". */}
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        {children}
        {siteHost || noScripts ? null : (
          <>
            <ScrollRestoration />
            <Scripts />
          </>
        )}
      </body>
    </html>
  );
}

export async function loader({ request }: LoaderFunctionArgs) {
  // Back from an OAuth provider (?code=… with the verifier cookie): finish signing in first.
  const exchanged = await handleCodeExchange(request);
  if (exchanged) throw exchanged;
  const { user, headers } = await getUser(request);
  // The browser connects to the same Convex deployment as the server, for live queries. The user
  // is display data only: no tokens in loader data (the socket gets its JWT from /api/auth/token).
  return data(
    {
      convexUrl: convexUrl(),
      siteHost: requestHost(request).kind !== "platform",
      user: user ? { _id: user._id, name: user.name, email: user.email, image: user.image } : null,
    },
    { headers },
  );
}

/** The signed-in user's short-lived Convex JWT, from the same-origin token route (never the refresh token). */
async function fetchToken({ forceRefreshToken }: { forceRefreshToken: boolean }): Promise<string | null> {
  const response = await fetch(`/api/auth/token${forceRefreshToken ? "?refresh=1" : ""}`, {
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  });
  if (!response.ok) return null;
  const body = (await response.json()) as { token?: string | null };
  return body.token ?? null;
}

export default function App() {
  const { convexUrl, user } = useLoaderData<typeof loader>();
  const userId = user?._id ?? null;
  // Only in the browser: the server renders loader data and opens no socket. Auth is set before
  // any child subscribes, so signed-in pages never query anonymously first.
  const [client] = useState(() => {
    if (typeof window === "undefined") return null;
    const c = new ConvexReactClient(convexUrl);
    if (userId) c.setAuth(fetchToken);
    return c;
  });
  const authedAs = useRef(userId);
  useEffect(() => {
    if (!client || authedAs.current === userId) return;
    authedAs.current = userId;
    if (userId) client.setAuth(fetchToken);
    else client.clearAuth();
  }, [client, userId]);
  // Reader pages (handle.chrome === "reader", contract #16) draw their own header with the account links.
  const readerChrome = useMatches().some((m) => (m.handle as { chrome?: string } | undefined)?.chrome === "reader");
  const page = (
    <>
      {readerChrome ? null : <PlatformHeader user={user} />}
      <Outlet />
    </>
  );
  if (!client) return page;
  return <ConvexProvider client={client}>{page}</ConvexProvider>;
}

/** The platform bar of platform pages (home, account, studio): wordmark, Studio, account, Sign out. */
function PlatformHeader({ user }: { user: { name: string | null; email: string | null } | null }) {
  const location = useLocation();
  const here = `${location.pathname}${location.search}`;
  const onAuthPage = /^\/(login|signup|verify|forgot-password|reset-password)\/?$/.test(location.pathname);
  return (
    <header className="platform-bar">
      <a href="/" className="platform-bar__brand">
        <span className="platform-bar__mark" aria-hidden="true">
          P
        </span>
        Pressroom
      </a>
      <nav aria-label="Account" className="platform-bar__nav">
        {user ? (
          <>
            <Link to="/studio" className="platform-bar__link">
              Studio
            </Link>
            <Link to="/account" data-testid="account-link" className="platform-bar__link">
              {user.name?.trim() || user.email || "Your account"}
            </Link>
            <Form method="post" action="/logout" className="platform-bar__form">
              <button type="submit" className="btn btn--secondary btn--small">
                Sign out
              </button>
            </Form>
          </>
        ) : onAuthPage ? null : (
          <>
            <Link to={here === "/" ? "/login" : `/login?${new URLSearchParams({ redirectTo: here })}`} className="platform-bar__link">
              Sign in
            </Link>
            <Link to="/signup?intent=publication" className="btn btn--primary btn--small">
              Start a publication
            </Link>
          </>
        )}
      </nav>
    </header>
  );
}

export function ErrorBoundary() {
  const error = useRouteError();
  const title = isRouteErrorResponse(error) ? `${error.status} ${error.statusText}` : "Something went wrong";
  return (
    <main id="main" className="page">
      <h1>{title}</h1>
      <p>
        <a href="/">Back to Pressroom</a>
      </p>
    </main>
  );
}
