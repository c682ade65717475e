import type { LoaderFunctionArgs } from "@remix-run/node";
import { sitemapPostsResponse } from "../reader/sitemap.server";

/** /{site}/sitemap-posts.xml?cursor=…: one file of a large site's sitemap index. */
export const loader = ({ request, params }: LoaderFunctionArgs) => sitemapPostsResponse(request, params);
