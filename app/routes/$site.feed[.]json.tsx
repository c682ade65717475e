import type { LoaderFunctionArgs } from "@remix-run/node";
import { feedResponse } from "../reader/feeds.server";

/** /{site}/feed.json (JSON Feed 1.1) */
export const loader = ({ request, params }: LoaderFunctionArgs) => feedResponse(request, params, "json");
