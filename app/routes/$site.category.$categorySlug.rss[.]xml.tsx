import type { LoaderFunctionArgs } from "@remix-run/node";
import { feedResponse } from "../reader/feeds.server";

/** /{site}/category/{categorySlug}/rss.xml */
export const loader = ({ request, params }: LoaderFunctionArgs) =>
  feedResponse(request, params, "rss", { kind: "category", slug: params.categorySlug ?? "" });
