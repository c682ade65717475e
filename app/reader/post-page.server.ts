import type { FunctionReturnType } from "convex/server";
import { api } from "../../convex/_generated/api";
import type { ReaderClient } from "./client.server";
import { rememberBody, renderedBody } from "./render.server";
import { viewerPage } from "./viewer.server";

// Issue #18, "share what is common between readers": a post's body is the same HTML for every
// reader Convex entitles to it. reader:postPage names it by its content key (never carrying it),
// and only for a viewer it entitles; on a key this process does not hold, it asks reader:postBody,
// which gives the HTML publishing rendered and stored, and keeps it. Convex decides entitlement on
// every call, for every viewer: the HTML is used only under a key Convex just gave this viewer.

type Found = FunctionReturnType<typeof api.reader.postPage>;

/**
 * reader:postPage as this viewer sees it, with the body's HTML when they may read it (else null).
 *
 * The page itself (the post's card, related posts, previous/next) is the same for every viewer:
 * cards never carry a body, and entitlement only ever unlocks. So it is asked anonymously
 * (`shared`, pages.server.ts requireSite), and one cached answer per post version serves every
 * reader; asked as each signed-in reader, it was a fresh ~40-read query per reader and post (the
 * backend keys its cache by identity, as Convex does). Only a post that is locked to everyone asks
 * the viewer's own question: reader:viewerPage decides, as this viewer, whether they may read it,
 * and names the body if so.
 */
export async function loadPostPage(
  client: ReaderClient,
  shared: ReaderClient,
  siteSlug: string,
  slug: string,
): Promise<{ found: Found; bodyHtml: string | null }> {
  const found = await shared.query(api.reader.postPage, { siteSlug, slug });
  if (found?.kind !== "post") return { found, bodyHtml: null };
  let { post, bodyKey } = found;
  if (client.signedIn && post.locked) {
    // Asked with the viewer's standing, in the layout's call (viewer.server.ts).
    const [own] = (await viewerPage(client, siteSlug, [slug])).bodyKeys;
    bodyKey = own?.bodyKey ?? null;
    if (bodyKey !== null) post = { ...post, locked: false };
  }
  if (bodyKey === null) return { found: { ...found, post }, bodyHtml: null };
  return { found: { ...found, post, bodyKey }, bodyHtml: await bodyHtml(client, siteSlug, slug, bodyKey) };
}

/**
 * The HTML of the body Convex just named by `bodyKey` for this viewer (postPage, bodyKeys): what
 * this process holds for that key, else reader:postBody's. Null when the post
 * went away or locked between the two calls: it shows no body.
 */
export async function bodyHtml(client: ReaderClient, siteSlug: string, slug: string, bodyKey: string): Promise<string | null> {
  const held = renderedBody(bodyKey);
  if (held !== undefined) return held;
  const body = await client.query(api.reader.postBody, { siteSlug, slug });
  return body === null ? null : rememberBody(body.bodyKey, body.html);
}
