import type { LoaderFunctionArgs } from "@remix-run/node";
import { feedResponse } from "../reader/feeds.server";

/** /{site}/category/{categorySlug}/feed.json */
export const loader = ({ request, params }: LoaderFunctionArgs) =>
  feedResponse(request, params, "json", { kind: "category", slug: params.categorySlug ?? "" });
