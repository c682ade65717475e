import type { LinksFunction } from "@remix-run/node";
import {
  Links,
  Meta,
  Outlet,
  Scripts,
  ScrollRestoration,
  isRouteErrorResponse,
  useLoaderData,
  useRouteError,
} from "@remix-run/react";
import { ConvexProvider, ConvexReactClient } from "convex/react";
import { useState } from "react";
import styles from "./styles/app.css?url";
import { convexUrl } from "./utils/convex.server";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: styles }];

export function Layout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body>
        {children}
        <ScrollRestoration />
        <Scripts />
      </body>
    </html>
  );
}

export async function loader() {
  // The browser connects to the same Convex deployment as the server, for live queries.
  return { convexUrl: convexUrl() };
}

export default function App() {
  const { convexUrl } = useLoaderData<typeof loader>();
  // Only in the browser: the server renders loader data and opens no socket.
  const [client] = useState(() => (typeof window === "undefined" ? null : new ConvexReactClient(convexUrl)));
  if (!client) return <Outlet />;
  return (
    <ConvexProvider client={client}>
      <Outlet />
    </ConvexProvider>
  );
}

export function ErrorBoundary() {
  const error = useRouteError();
  const title = isRouteErrorResponse(error) ? `${error.status} ${error.statusText}` : "Something went wrong";
  return (
    <main className="page">
      <h1>{title}</h1>
      <p>
        <a href="/">Back to Pressroom</a>
      </p>
    </main>
  );
}
