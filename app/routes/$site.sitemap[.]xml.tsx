import type { LoaderFunctionArgs } from "@remix-run/node";
import { sitemapResponse } from "../reader/sitemap.server";

/** /{site}/sitemap.xml: a urlset, or a sitemap index once the site is large. */
export const loader = ({ request, params }: LoaderFunctionArgs) => sitemapResponse(request, params);
