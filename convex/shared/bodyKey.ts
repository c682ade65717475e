/**
 * A post body's content key (issue #18): the SHA-256 of its TipTap JSON, in hex. reader:postPage
 * names an entitled reader's body by it, and the app keys the body's rendered HTML by the same
 * digest (app/reader/render.server.ts, which must agree: render.server.test.ts checks both), so a
 * caller that holds a version is not sent it again. A digest of the content, not a version number,
 * so no write path can change a body without changing its key.
 */
export async function bodyContentKey(docJson: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(docJson)));
  let hex = "";
  for (const b of digest) hex += b.toString(16).padStart(2, "0");
  return hex;
}
