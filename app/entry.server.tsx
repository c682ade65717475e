import { crossOriginRefusal, isEmbedJoin, mayBeEmbedJoin } from "./auth/csrf.server";
import { front as readerFront } from "./reader/front.server";

// Remix's default document rendering (app/reader/document.server.tsx).
export { handleDocumentRequest as default } from "./reader/document.server";
// For the production server (app/server/index.ts): host routing and the response cache run in this
// bundle, so they share its Convex subscription cache.
export { memoryReport } from "./reader/memory.server";
export { sharedViewBatcher } from "./reader/views.server";
export { wholeBody } from "./utils/whole-body.server";

/**
 * Everything before Remix (the production server calls it for every non-static request).
 * Cross-origin form posts are answered first with a readable 403: Remix's own origin check throws,
 * which became an empty 500. The one exception is the embeddable join form's route
 * (csrf.server.ts isEmbedJoin), decided once host routing has said which route the post reaches.
 */
export async function front(request: Request, next: (request: Request) => Promise<Response>): Promise<Response> {
  const refusal = crossOriginRefusal(request);
  if (refusal && !mayBeEmbedJoin(request)) return refusal;
  return await readerFront(request, (routed) => (refusal && !isEmbedJoin(routed) ? Promise.resolve(refusal) : next(routed)));
}
