import type { LoaderFunctionArgs } from "@remix-run/node";
import { feedResponse } from "../reader/feeds.server";

/** /{site}/tag/{tagSlug}/feed.json */
export const loader = ({ request, params }: LoaderFunctionArgs) =>
  feedResponse(request, params, "json", { kind: "tag", slug: params.tagSlug ?? "" });
