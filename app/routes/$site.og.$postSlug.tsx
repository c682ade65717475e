import type { LoaderFunctionArgs } from "@remix-run/node";
import { ogCardResponse } from "../reader/og-card.server";

/**
 * /{site}/og/{postSlug}?v={version}: the generated Open Graph card (PNG) of a post without a cover
 * image. Three segments, so it never collides with a post at /{site}/{postSlug}.
 */
export const loader = ({ request, params }: LoaderFunctionArgs) => ogCardResponse(request, params);
