import type { ActionFunctionArgs } from "@remix-run/node";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { docToText, excerptSourceOf, publicExcerpt, readingTimeMinutes, wordCount, type DocNode } from "../../convex/model/content";
import { MAX_DOC_CHARS } from "../../convex/shared/constants";
import { resolveTheme } from "../../convex/shared/theme";
import { renderDocToSafeHtml } from "../reader/render.server";
import { accentPair } from "../reader/theme";
import type { PostCard, SiteData } from "../reader/types";
import { loadOrThrow, requireStudioAction } from "../studio/studio.server";

// POST /studio/:siteId/preview {postId, title, excerpt, doc} → the draft as the reader page shows
// it: the body HTML comes from the reader's own renderer (app/reader/render.server.ts, the one
// $site.$postSlug uses), so the preview is exactly what readers will get. The document may be
// newer than the saved draft (what is in the editor right now). Only people who may edit the post
// get a preview (posts:getForEdit decides).

export type PreviewResponse = { html: string; card: PostCard; site: SiteData; updatedAt: number };

function json(body: unknown, status = 200, headers?: Headers) {
  const h = new Headers(headers);
  h.set("Content-Type", "application/json; charset=utf-8");
  h.set("Cache-Control", "private, no-store");
  return new Response(JSON.stringify(body), { status, headers: h });
}

export async function loader() {
  return json({ error: "Use POST." }, 405);
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { convex, headers, siteId } = await requireStudioAction(request, params);
  let body: { postId?: unknown; title?: unknown; excerpt?: unknown; doc?: unknown };
  try {
    body = await request.json();
  } catch {
    return json({ error: "Send JSON." }, 400, headers);
  }
  if (typeof body.postId !== "string" || typeof body.doc !== "string" || body.doc.length > MAX_DOC_CHARS) {
    return json({ error: "Send postId and doc." }, 400, headers);
  }
  const [edit, settings, categories] = await Promise.all([
    loadOrThrow(convex.query(api.posts.getForEdit, { siteId, postId: body.postId as Id<"posts"> })),
    loadOrThrow(convex.query(api.sites.getSettings, { siteId })),
    loadOrThrow(convex.query(api.categories.list, { siteId })),
  ]);
  const tags = edit.post.tagIds.length
    ? (await loadOrThrow(convex.query(api.tags.list, { siteId, paginationOpts: { numItems: 200, cursor: null } }))).page.filter((t) =>
        edit.post.tagIds.includes(t._id),
      )
    : [];
  const category = categories.find((c) => c._id === edit.post.categoryId) ?? null;
  let text = "";
  try {
    text = docToText(JSON.parse(body.doc) as DocNode);
  } catch {
    text = "";
  }
  const title = typeof body.title === "string" ? body.title.trim() : edit.draft.title;
  // The rule the server applies on publish (a paid teaser for featured posts), so the preview card is what readers get.
  const excerpt = publicExcerpt(edit.post.featured, typeof body.excerpt === "string" ? body.excerpt : undefined, excerptSourceOf(body.doc));
  const now = Date.now();
  const card: PostCard = {
    slug: edit.post.slug,
    title: title || "Untitled",
    excerpt,
    authorName: edit.post.authorName,
    authorSlug: null,
    authorImage: edit.post.authorImage ?? null,
    publishedAt: edit.post.publishedAt ?? edit.post.scheduledAt ?? now,
    readingTimeMinutes: readingTimeMinutes(wordCount(text)),
    featured: edit.post.featured,
    coverImageUrl: null,
    coverImageAlt: null,
    category: category ? { name: category.name, slug: category.slug } : null,
    tags: tags.map((t) => ({ name: t.name, slug: t.slug })),
  };
  const site: SiteData = {
    name: settings.name,
    slug: settings.slug,
    description: settings.description,
    logoUrl: null,
    accent: accentPair(settings.branding?.accentColor ?? null),
    base: `/${settings.slug}`,
    canonicalBase: `${new URL(request.url).origin}/${settings.slug}`,
    // The draft previews in the site's saved theme.
    theme: resolveTheme(settings.branding),
    coverUrl: settings.coverUrl,
  };
  const result: PreviewResponse = { html: renderDocToSafeHtml(body.doc), card, site, updatedAt: now };
  return json(result, 200, headers);
}
