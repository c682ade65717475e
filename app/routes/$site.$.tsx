import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useRouteError } from "@remix-run/react";
import { ReaderError } from "../reader/components";
import { notFound, readerHeaders } from "../reader/http.server";
import { legacyRedirect, pathBelowSite } from "../reader/legacy.server";
import { requireSite } from "../reader/pages.server";
import { errorMeta, siteFromMatches, useSite } from "../reader/route-helpers";

// /{site}/anything/else: no page of ours lives here, but an imported post's old address may
// (WordPress "/2019/03/04/slug/", Substack "/p/slug"): those 301 to the post (issue #17).
// Everything else is the site's 404, as before.

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { client, site } = await requireSite(request, params);
  const moved = await legacyRedirect(client, site, pathBelowSite(request));
  if (moved) throw moved;
  throw notFound("Page not found");
}

export const headers = readerHeaders;

export default function OldAddress() {
  return null;
}

export const meta: MetaFunction = ({ matches }) => errorMeta(siteFromMatches(matches));

export function ErrorBoundary() {
  return <ReaderError site={useSite()} error={useRouteError()} />;
}
