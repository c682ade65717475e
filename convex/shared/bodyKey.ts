import { PAGE_HTML_VERSION } from "../../app/editor/render";

/**
 * A post body's content key (issue #18): the SHA-256, in hex, of its TipTap JSON and of the
 * renderer version its page HTML comes from (PAGE_HTML_VERSION). reader:postPage names an entitled
 * reader's body by it, and the app keeps the body's HTML under it (app/reader/render.server.ts), so
 * a caller that holds a version is not sent it again. A digest of the content, not a version number,
 * so no write path can change a body without changing its key; and a renderer bump (a sanitizer fix)
 * changes every key, so no app process keeps serving HTML the old renderer made.
 */
export async function bodyContentKey(docJson: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${PAGE_HTML_VERSION}\n${docJson}`)));
  let hex = "";
  for (const b of digest) hex += b.toString(16).padStart(2, "0");
  return hex;
}
