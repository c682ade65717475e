// The Markdown export writer (issue #17): one `posts/<slug>.md` per post, YAML front matter (the
// `yaml` package writes it, so a title like `x\nadmin: true` or `---` stays one quoted string) and
// the body from the editor's own converter (app/editor/markdown.ts docToMarkdown). Images held in
// our storage are written to `images/<key>.<ext>` by the route and the Markdown points at them
// relatively; other images stay URLs. Pure: the route fetches pages and image bytes.
import { stringify } from "yaml";
import { docToMarkdown } from "../../app/editor/markdown";
import type { ExportPost, ExportSite } from "../model/siteExport";
import { exportedBody, mapImageSrcs, storedImageKey } from "./ghostExport";

/** Extensions of the image types the studio accepts (app/studio/editor/upload.ts). */
const IMAGE_EXTENSIONS: Readonly<Record<string, string>> = { "image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif" };

/** The extension for an image's Content-Type, or null for a type the export does not carry. */
export function imageExtension(contentType: string | null): string | null {
  return IMAGE_EXTENSIONS[(contentType ?? "").split(";")[0]!.trim().toLowerCase()] ?? null;
}

/** The zip path of a post: its slug when it is a plain one (slugs are), else its id. */
export function postPath(post: Pick<ExportPost, "_id" | "slug">): string {
  return `posts/${/^[a-z0-9][a-z0-9-]{0,199}$/.test(post.slug) ? post.slug : post._id}.md`;
}

/** The keys of stored images a post uses (body images and the cover), in order, once each. */
export function storedImages(post: ExportPost, storageOrigin: string): Array<{ key: string; url: string }> {
  const out = new Map<string, string>();
  const add = (src: string) => {
    const key = storedImageKey(src, storageOrigin);
    if (key && !out.has(key)) out.set(key, new URL(src, storageOrigin).href);
  };
  const { doc } = exportedBody(post);
  if (doc) mapImageSrcs(doc, (src) => (add(src), src));
  if (post.coverUrl && post.coverStored) add(post.coverUrl);
  return [...out].map(([key, url]) => ({ key, url }));
}

/** A made-up http URL that marks a stored image while the document goes through docToMarkdown (which only keeps http(s) srcs). */
const MARK = "https://export-image.invalid/";

/** The front matter block: `---`, YAML of `data`, `---`. */
export function frontMatter(data: Record<string, unknown>): string {
  return `---\n${stringify(data, { lineWidth: 0 })}---\n`;
}

export interface MarkdownContext {
  site: ExportSite;
  /** Tag id → name (the whole site's; names only). */
  tagNames: ReadonlyMap<string, string>;
  storageOrigin: string;
  /** Where a stored image went in the zip ("images/<key>.png"), or null when it was not written (the URL stays). */
  imagePath: (key: string) => string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** One post as a Markdown file: its zip path and text. */
export function postMarkdown(post: ExportPost, c: MarkdownContext): { path: string; text: string } {
  const local = (src: string): string | null => {
    const key = storedImageKey(src, c.storageOrigin);
    const path = key ? c.imagePath(key) : null;
    return path ? `../${path}` : null;
  };
  const { doc } = exportedBody(post);
  let body = "";
  if (doc) {
    const marked = mapImageSrcs(doc, (src) => {
      const path = local(src);
      // A stored image not in the zip keeps its absolute URL.
      return path ? MARK + path.slice("../".length) : storedImageKey(src, c.storageOrigin) ? new URL(src, c.storageOrigin).href : src;
    });
    body = docToMarkdown(marked).split(MARK).join("../");
  }
  const category = post.categoryId ? c.site.categories.find((x) => x._id === post.categoryId) : undefined;
  const cover = post.coverUrl ? ((post.coverStored ? local(post.coverUrl) : null) ?? post.coverUrl) : null;
  const data: Record<string, unknown> = {
    title: post.title,
    slug: post.slug,
    status: post.status,
    date: iso(post.status === "scheduled" ? (post.scheduledAt ?? post.publishedAt) : post.publishedAt),
    created: iso(post.createdAt),
    updated: iso(post.updatedAt),
    author: post.authorName,
    tags: post.tagIds.map((id) => c.tagNames.get(id)).filter((n): n is string => n !== undefined),
    category: category?.name ?? null,
    excerpt: post.excerpt,
    featured: post.featured,
    cover,
    cover_alt: cover ? post.coverAlt : null,
    cover_caption: cover ? post.coverCaption : null,
    seo: { title: post.seoTitle, description: post.seoDescription },
  };
  if (post.legacyPaths.length) data.old_paths = post.legacyPaths;
  return { path: postPath(post), text: `${frontMatter(data)}\n${body}` };
}

/** The zip's README: what is inside, so the export explains itself. */
export function readme(site: ExportSite, exportedOn: number): string {
  return [
    `# ${site.name.replace(/[\r\n]+/g, " ")}`,
    "",
    `Exported from Pressroom on ${new Date(exportedOn).toISOString()}.`,
    "",
    "- `posts/<slug>.md`: one file per post (every status), YAML front matter, then the body in Markdown.",
    "- `images/`: the images that were uploaded to the publication; posts point at them relatively.",
    "  Images that were links to other sites stay links.",
    "",
  ].join("\n");
}
