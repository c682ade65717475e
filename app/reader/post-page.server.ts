import type { FunctionReturnType } from "convex/server";
import { api } from "../../convex/_generated/api";
import type { ReaderClient } from "./client.server";
import { renderDocCached, renderedBody } from "./render.server";

// Issue #18, "share what is common between readers": a post's body is the same HTML for every
// reader Convex entitles to it, so this process renders it once per version and afterwards tells
// reader:postPage which version it holds (the body's content key, convex/shared/bodyKey.ts); Convex
// then leaves the document out. Convex still decides entitlement on every call, for every viewer:
// the HTML is used only when Convex said this viewer may read the body and named it by its key,
// and a locked post comes back with neither body nor key.

type Found = FunctionReturnType<typeof api.reader.postPage>;

/** A post address → the content key of the body last rendered for it. Keys are 64 characters. */
const knownByAddress = new Map<string, string>();
/** ~1.5 MB of keys and addresses at most. */
const MAX_ADDRESSES = 10_000;

function remember(address: string, key: string) {
  knownByAddress.delete(address);
  knownByAddress.set(address, key);
  if (knownByAddress.size > MAX_ADDRESSES) knownByAddress.delete(knownByAddress.keys().next().value!);
}

/** reader:postPage for this viewer, with the body's HTML when they may read it (else null). */
export async function loadPostPage(client: ReaderClient, siteSlug: string, slug: string): Promise<{ found: Found; bodyHtml: string | null }> {
  const address = `${siteSlug}/${slug}`;
  const known = knownByAddress.get(address);
  // Say we hold a version only while we do (the memo may have let it go).
  const knownBody = known !== undefined && renderedBody(known) !== undefined ? known : undefined;
  let found = await client.query(api.reader.postPage, knownBody ? { siteSlug, slug, knownBody } : { siteSlug, slug });
  if (found?.kind !== "post" || found.post.locked) return { found, bodyHtml: null };
  if (found.bodyOmitted) {
    const held = renderedBody(found.bodyKey!);
    if (held !== undefined) return { found, bodyHtml: held };
    // Let go between the check and the answer (another request filled the memo): ask for the body.
    found = await client.query(api.reader.postPage, { siteSlug, slug });
    if (found?.kind !== "post" || found.post.locked) return { found, bodyHtml: null };
  }
  if (found.post.doc === null) return { found, bodyHtml: null };
  const bodyHtml = renderDocCached(found.post.doc);
  if (found.bodyKey !== null) remember(address, found.bodyKey);
  return { found, bodyHtml };
}
