// Remix's default document rendering plus a cache of rendered public reader pages, kept exactly as
// fresh as their data (entries are keyed by URL and the data's ETag; see app/reader/document.server.tsx).
export { handleDocumentRequest as default } from "./reader/document.server";
// For the production server (app/server/index.ts): host routing and the response cache run in this
// bundle, so they share its Convex subscription cache.
export { front, responseCacheStats } from "./reader/front.server";
export { sharedViewBatcher } from "./reader/views.server";
