import type { FunctionReturnType } from "convex/server";
import { api } from "../../convex/_generated/api";
import type { ReaderClient } from "./client.server";
import { rememberBody, renderedBody } from "./render.server";

// Issue #18, "share what is common between readers": a post's body is the same HTML for every
// reader Convex entitles to it. reader:postPage names it by its content key (never carrying it),
// and only for a viewer it entitles; on a key this process does not hold, it asks reader:postBody,
// which gives the HTML publishing rendered and stored, and keeps it. Convex decides entitlement on
// every call, for every viewer: the HTML is used only under a key Convex just gave this viewer.

type Found = FunctionReturnType<typeof api.reader.postPage>;

/** reader:postPage for this viewer, with the body's HTML when they may read it (else null). */
export async function loadPostPage(client: ReaderClient, siteSlug: string, slug: string): Promise<{ found: Found; bodyHtml: string | null }> {
  const found = await client.query(api.reader.postPage, { siteSlug, slug });
  if (found?.kind !== "post" || found.bodyKey === null) return { found, bodyHtml: null };
  return { found, bodyHtml: await bodyHtml(client, siteSlug, slug, found.bodyKey) };
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
