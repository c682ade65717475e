import { crossOriginRefusal } from "./auth/csrf.server";
import { front as readerFront } from "./reader/front.server";

// Remix's default document rendering (app/reader/document.server.tsx).
export { handleDocumentRequest as default } from "./reader/document.server";
// For the production server (app/server/index.ts): host routing and the response cache run in this
// bundle, so they share its Convex subscription cache.
export { responseCacheStats } from "./reader/front.server";
export { sharedViewBatcher } from "./reader/views.server";

/**
 * Everything before Remix (the production server calls it for every non-static request).
 * Cross-origin form posts are answered first with a readable 403: Remix's own origin check throws,
 * which became an empty 500.
 */
export async function front(request: Request, next: (request: Request) => Promise<Response>): Promise<Response> {
  return crossOriginRefusal(request) ?? (await readerFront(request, next));
}
