import type { LoaderFunctionArgs } from "@remix-run/node";
import { feedResponse } from "../reader/feeds.server";

/** /{site}/atom.xml */
export const loader = ({ request, params }: LoaderFunctionArgs) => feedResponse(request, params, "atom");
