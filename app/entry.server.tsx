// Remix's default document rendering (app/reader/document.server.tsx).
export { handleDocumentRequest as default } from "./reader/document.server";
// For the production server (app/server/index.ts): host routing and the response cache run in this
// bundle, so they share its Convex subscription cache.
export { front, responseCacheStats } from "./reader/front.server";
export { sharedViewBatcher } from "./reader/views.server";
