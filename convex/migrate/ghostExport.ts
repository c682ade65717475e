// The Ghost JSON export writer (issue #17): a site's posts, tags, authors and their relations in
// the shape Ghost 5's importer reads (Settings → Labs → Import): `{db:[{meta, data:{posts, tags,
// posts_tags, users, posts_authors, roles, roles_users}}]}`. It is written piece by piece
// (GhostJsonWriter hands back text as each page of posts arrives) so the export route streams it
// and never holds the whole file; only the relations (ids) are kept until the end. Pure: the
// caller reads the pages (convex/siteExport.ts) and owns the response.
import type { JSONContent } from "@tiptap/core";
import { parseDocText } from "../../app/editor/doc";
import { renderDocHtml } from "../../app/editor/render";
import { STORAGE_PATH_PREFIX } from "../../app/editor/urls";
import type { ExportAuthor, ExportPost, ExportSite, ExportTerm } from "../model/siteExport";
import type { SiteRole } from "../shared/roles";
import { toSlug } from "../shared/slugs";

/** The version Ghost's importer is told the file comes from (its 5.x shape). */
export const GHOST_EXPORT_VERSION = "5.80.0";

/** The domain of made-up addresses for authors without one (Ghost requires an email per user). */
export const PLACEHOLDER_EMAIL_DOMAIN = "placeholder.invalid";

/** Ghost's four staff roles (owner comes in as Administrator: a Ghost site has its own owner). */
const GHOST_ROLES = [
  { id: "pressroom-role-administrator", name: "Administrator" },
  { id: "pressroom-role-editor", name: "Editor" },
  { id: "pressroom-role-author", name: "Author" },
  { id: "pressroom-role-contributor", name: "Contributor" },
] as const;
const ROLE_ID: Readonly<Record<SiteRole, string>> = {
  owner: GHOST_ROLES[0].id,
  admin: GHOST_ROLES[0].id,
  editor: GHOST_ROLES[1].id,
  author: GHOST_ROLES[2].id,
  contributor: GHOST_ROLES[3].id,
};

/**
 * A stable UUID for a Pressroom id (Ghost requires a valid uuid per post, or makes a random one):
 * the SHA-256 of the id, shaped as an RFC 9562 version-8 UUID, so re-exports give the same uuid.
 */
export async function stableUuid(id: string): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`pressroom:${id}`)));
  hash[6] = (hash[6] & 0x0f) | 0x80;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = Array.from(hash.subarray(0, 16), (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The key of an image held in this deployment's file storage (the id part of `/api/storage/<id>`),
 * whether the src is root-relative or absolute on `storageOrigin`; null for any other image.
 */
export function storedImageKey(src: string, storageOrigin: string): string | null {
  let url: URL;
  try {
    url = new URL(src, storageOrigin);
  } catch {
    return null;
  }
  if (url.origin !== new URL(storageOrigin).origin || url.search || url.hash) return null;
  const key = url.pathname.startsWith(STORAGE_PATH_PREFIX) ? url.pathname.slice(STORAGE_PATH_PREFIX.length) : "";
  return /^[A-Za-z0-9_-]{1,128}$/.test(key) ? key : null;
}

/** A copy of a document with each image's src passed through `map` (documents are plain JSON). */
export function mapImageSrcs(doc: JSONContent, map: (src: string) => string): JSONContent {
  const walk = (node: JSONContent): JSONContent => {
    const out: JSONContent = { ...node };
    if (node.type === "image" && typeof node.attrs?.src === "string") out.attrs = { ...node.attrs, src: map(node.attrs.src) };
    if (node.content) out.content = node.content.map(walk);
    return out;
  };
  return walk(doc);
}

/** The version of a post an export carries: the live one when there is one, else the draft. */
export function exportedBody(post: ExportPost): { title: string; doc: JSONContent | null } {
  const body = post.published ?? post.draft;
  return { title: post.title, doc: body ? parseDocText(body.doc) : null };
}

/** Ghost's statuses: archived posts go back as drafts (Ghost has no archive). */
function ghostStatus(status: ExportPost["status"]): "published" | "draft" | "scheduled" {
  return status === "published" || status === "scheduled" ? status : "draft";
}

const iso = (ms: number | null | undefined) => (typeof ms === "number" && Number.isFinite(ms) ? new Date(ms).toISOString() : null);

/** A Lexical document holding one HTML card: what Ghost keeps for HTML it did not write itself. */
export function lexicalHtmlCard(html: string): string {
  return JSON.stringify({
    root: { children: [{ type: "html", version: 1, html }], direction: null, format: "", indent: 0, type: "root", version: 1 },
  });
}

/**
 * Ghost's importer validates these lengths (its schema's isLength rules) and refuses a post over
 * them; Pressroom allows longer titles (300) and excerpts (1000), so they are clipped here (the
 * Markdown export keeps them whole).
 */
export const GHOST_LIMITS = { title: 255, custom_excerpt: 300, meta_title: 300, meta_description: 500, feature_image_alt: 191 } as const;

/** `text` cut to at most `max` characters (code points, never half a surrogate pair). */
export function clip(text: string | null, max: number): string | null {
  if (text === null) return null;
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("").trimEnd()}…`;
}

/** One post as Ghost's importer reads it (relations are written separately). */
export async function ghostPost(post: ExportPost, storageOrigin: string): Promise<Record<string, unknown>> {
  const { doc } = exportedBody(post);
  // Images in our storage become absolute URLs, so the file is usable anywhere.
  const html = doc ? renderDocHtml(mapImageSrcs(doc, (src) => (storedImageKey(src, storageOrigin) ? new URL(src, storageOrigin).href : src)), "document") : "";
  const status = ghostStatus(post.status);
  return {
    id: post._id,
    uuid: await stableUuid(post._id),
    title: clip(post.title, GHOST_LIMITS.title),
    slug: post.slug,
    html,
    lexical: lexicalHtmlCard(html),
    mobiledoc: null,
    feature_image: post.coverUrl,
    feature_image_alt: post.coverUrl ? clip(post.coverAlt, GHOST_LIMITS.feature_image_alt) : null,
    feature_image_caption: post.coverUrl ? post.coverCaption : null,
    featured: false,
    type: "post",
    status,
    visibility: post.featured ? "paid" : "public",
    custom_excerpt: clip(post.excerpt, GHOST_LIMITS.custom_excerpt),
    meta_title: clip(post.seoTitle, GHOST_LIMITS.meta_title),
    meta_description: clip(post.seoDescription, GHOST_LIMITS.meta_description),
    author_id: post.authorId,
    created_at: iso(post.createdAt),
    updated_at: iso(post.updatedAt),
    published_at: status === "scheduled" ? iso(post.scheduledAt ?? post.publishedAt) : iso(post.publishedAt),
  };
}

/** The Ghost user for an author; a placeholder (or a former member) gets `<slug>@placeholder.invalid`. */
export function ghostUser(author: Pick<ExportAuthor, "userId" | "name" | "slug" | "email">): Record<string, unknown> {
  return {
    id: author.userId,
    name: author.name,
    slug: author.slug,
    email: author.email ?? `${author.slug}@${PLACEHOLDER_EMAIL_DOMAIN}`,
    status: "active",
  };
}

function ghostTag(term: ExportTerm): Record<string, unknown> {
  return { id: term._id, name: term.name, slug: term.slug, description: term.description, visibility: "public" };
}

/**
 * Writes the export in order: start(), post() for each post, then tag() for each tag, then end().
 * Each call returns the next piece of JSON text. A post's category becomes its primary (first)
 * tag: Ghost has tags only. A tag with a category's slug is the same Ghost tag.
 */
export class GhostJsonWriter {
  private readonly categoryBySlug: Map<string, ExportTerm>;
  private readonly tagAlias = new Map<string, string>();
  private readonly postsTags: Array<{ postId: string; tagIds: string[] }> = [];
  private readonly postsAuthors: Array<{ postId: string; authorId: string }> = [];
  /** Authors of posts who are not staff any more: written from the post's authorName. */
  private readonly formerAuthors = new Map<string, string>();
  private posts = 0;
  private tags = 0;
  private tagsOpened = false;

  constructor(
    private readonly site: ExportSite,
    private readonly storageOrigin: string,
    private readonly exportedOn: number,
  ) {
    this.categoryBySlug = new Map(site.categories.map((c) => [c.slug, c]));
  }

  start(): string {
    const meta = { exported_on: this.exportedOn, version: GHOST_EXPORT_VERSION };
    return `{"db":[{"meta":${JSON.stringify(meta)},"data":{"posts":[`;
  }

  async post(post: ExportPost): Promise<string> {
    const json = JSON.stringify(await ghostPost(post, this.storageOrigin));
    this.postsTags.push({ postId: post._id, tagIds: [...(post.categoryId ? [post.categoryId] : []), ...post.tagIds] });
    this.postsAuthors.push({ postId: post._id, authorId: post.authorId });
    if (!this.site.authors.some((a) => a.userId === post.authorId)) this.formerAuthors.set(post.authorId, post.authorName);
    return (this.posts++ === 0 ? "" : ",") + json;
  }

  /** The tags array opens with the categories (they are Ghost tags too). */
  private openTags(): string {
    if (this.tagsOpened) return "";
    this.tagsOpened = true;
    this.tags = this.site.categories.length;
    return `],"tags":[${this.site.categories.map((c) => JSON.stringify(ghostTag(c))).join(",")}`;
  }

  tag(term: ExportTerm): string {
    const out = this.openTags();
    const category = this.categoryBySlug.get(term.slug);
    if (category) {
      this.tagAlias.set(term._id, category._id);
      return out;
    }
    return out + (this.tags++ === 0 ? "" : ",") + JSON.stringify(ghostTag(term));
  }

  end(): string {
    let out = this.openTags();
    const postsTags: string[] = [];
    for (const { postId, tagIds } of this.postsTags) {
      const seen = new Set<string>();
      for (const raw of tagIds) {
        const tagId = this.tagAlias.get(raw) ?? raw;
        if (seen.has(tagId)) continue;
        seen.add(tagId);
        postsTags.push(JSON.stringify({ post_id: postId, tag_id: tagId, sort_order: seen.size - 1 }));
      }
    }
    const users = [
      ...this.site.authors.map((a) => ghostUser(a)),
      ...[...this.formerAuthors].map(([userId, name]) => ghostUser({ userId: userId as ExportAuthor["userId"], name, slug: `${toSlug(name) || "author"}-${userId.slice(-6).toLowerCase()}`, email: null })),
    ];
    const rolesUsers: Array<{ role_id: string; user_id: string }> = this.site.authors.map((a) => ({ role_id: ROLE_ID[a.role], user_id: a.userId }));
    for (const userId of this.formerAuthors.keys()) rolesUsers.push({ role_id: ROLE_ID.author, user_id: userId });
    out += `],"posts_tags":[${postsTags.join(",")}]`;
    out += `,"users":${JSON.stringify(users)}`;
    out += `,"posts_authors":${JSON.stringify(this.postsAuthors.map((r, i) => ({ id: `pa-${i + 1}`, post_id: r.postId, author_id: r.authorId, sort_order: 0 })))}`;
    out += `,"roles":${JSON.stringify(GHOST_ROLES)},"roles_users":${JSON.stringify(rolesUsers)}`;
    return `${out}}}]}`;
  }
}
