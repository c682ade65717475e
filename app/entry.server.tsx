// Remix's default document rendering plus a cache of rendered public reader pages, kept exactly as
// fresh as their data (entries are keyed by URL and the data's ETag; see app/reader/document.server.tsx).
export { handleDocumentRequest as default } from "./reader/document.server";
