// Ghost's JSON export (Settings → Labs → Export; Ghost 4 and 5) → ParsedExport (issue #17).
// Accepts `{ db: [{ meta, data }] }` (what Ghost writes) and a bare `{ meta, data }`. A post's body
// is its `html` (Ghost's own rendering); when that is null it is rendered from lexical or mobiledoc
// (ghostContent.ts). Relations come from posts_tags / posts_authors ordered by sort_order (older
// Ghost 4 exports: posts.author_id). `__GHOST_URL__` (Ghost 5's placeholder for its own address) is
// resolved against the site URL in settings, else dropped so the URL is site-relative.
// Ghost has no categories. Internal (#) tags are not imported and are noted on their posts.

import { lexicalToHtml, mobiledocToHtml } from "./ghostContent";
import { decodeText } from "./zip";
import {
  ImportFileError,
  MAX_IMPORT_POSTS,
  type ImportedAuthor,
  type ImportedPost,
  type ImportedStatus,
  type ImportedTerm,
  type ItemProblem,
  type ParsedExport,
} from "./types";

type Row = Record<string, unknown>;
const isRow = (v: unknown): v is Row => typeof v === "object" && v !== null && !Array.isArray(v);
const rows = (v: unknown): Row[] => (Array.isArray(v) ? v.filter(isRow) : []);
const str = (v: unknown): string => (typeof v === "string" ? v.trim() : typeof v === "number" ? String(v) : "");
const optional = (v: unknown): string | undefined => str(v) || undefined;

/** "… at position 123" in JSON.parse's message → "line L, column C" of the text. */
function jsonErrorWhere(text: string, message: string): string {
  const at = /position (\d+)/.exec(message);
  if (!at) return /end of (JSON|data) input|Unterminated/i.test(message) ? "it ends too early (truncated?)" : message;
  const pos = Number(at[1]);
  const before = text.slice(0, pos);
  const line = before.split("\n").length;
  const column = pos - before.lastIndexOf("\n");
  return `at line ${line}, column ${column}`;
}

function parseJsonFile(json: string): unknown {
  const text = json.charCodeAt(0) === 0xfeff ? json.slice(1) : json;
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ImportFileError(`The file is not valid JSON (${jsonErrorWhere(text, message)}).`);
  }
}

/**
 * Where the posts array of a Ghost export (`db[n].data.posts`, or `data.posts` in a bare export)
 * sits in its bytes: the array's brackets and each element's range. JSON's structural characters
 * are ASCII and never occur inside a UTF-8 multi-byte sequence, so the bytes are scanned without
 * decoding them. null when the layout is not the plain one (no such array, or two of them): the
 * caller then parses the whole text, which also gives malformed files their positioned error.
 */
const MAX_SCAN_DEPTH = 64;
function postsLayout(b: Uint8Array): { open: number; close: number; elements: Array<[number, number]>; path: Array<string | number> } | null {
  type Frame = { obj: boolean; key: string; index: number; expectKey: boolean };
  const stack: Frame[] = [];
  let found: { open: number; close: number; elements: Array<[number, number]>; path: Array<string | number> } | null = null;
  let posts: Frame | null = null;
  let elementStart = -1;
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
    const top = stack[stack.length - 1];
    if (top && top === posts && elementStart < 0 && c !== 0x2c && c !== 0x5d) elementStart = i;
    if (c === 0x22) {
      // A string: its end is the next quote not escaped by an odd run of backslashes.
      let j = i;
      for (;;) {
        j = b.indexOf(0x22, j + 1);
        if (j < 0) return null;
        let slashes = 0;
        while (b[j - 1 - slashes] === 0x5c) slashes++;
        if (slashes % 2 === 0) break;
      }
      if (top?.obj && top.expectKey) {
        // Only the keys on the path matter; anything longer cannot be one of them.
        top.key = j - i - 1 <= 5 ? String.fromCharCode(...b.subarray(i + 1, j)) : "";
        top.expectKey = false;
      }
      i = j;
    } else if (c === 0x7b || c === 0x5b) {
      const frame: Frame = { obj: c === 0x7b, key: "", index: 0, expectKey: c === 0x7b };
      // Ghost's tables are shallow; a deeply nested file takes the whole-text path (no stack to grow).
      if (stack.length >= MAX_SCAN_DEPTH) return null;
      if (c === 0x5b && top?.obj && top.key === "posts" && (stack.length === 2 || stack.length === 4)) {
        const path = stack.map((f) => (f.obj ? f.key : f.index));
        const plain = (path.length === 2 && path[0] === "data") || (path.length === 4 && path[0] === "db" && typeof path[1] === "number" && path[2] === "data");
        if (plain) {
          if (found) return null;
          found = { open: i, close: -1, elements: [], path: path.slice(0, -1) };
          posts = frame;
          elementStart = -1;
        }
      }
      stack.push(frame);
    } else if (c === 0x7d || c === 0x5d) {
      const closed = stack.pop();
      if (!closed) return null;
      if (closed === posts && found) {
        if (elementStart >= 0) found.elements.push([elementStart, i]);
        else if (found.elements.length > 0) return null; // a trailing comma
        found.close = i;
        posts = null;
      }
    } else if (c === 0x2c && top) {
      if (top.obj) top.expectKey = true;
      else top.index++;
      if (top === posts && found) {
        if (elementStart < 0) return null; // an empty element
        found.elements.push([elementStart, i]);
        elementStart = -1;
      }
    }
  }
  return found && found.close > 0 ? found : null;
}

/** A post row without the fields the import never reads (the bulk of an export's bytes). */
function slimPost(row: unknown): unknown {
  if (!isRow(row)) return row;
  delete row.plaintext;
  if (typeof row.html === "string") {
    delete row.lexical;
    delete row.mobiledoc;
  }
  return row;
}

/**
 * A Ghost export's bytes parsed with each post's unused fields (plaintext; lexical and mobiledoc
 * beside html) dropped as it is read: the posts are parsed one by one from the bytes, so the whole
 * decoded text and the whole parsed tree never exist together (the dry run's memory, issue #17).
 * The result is what JSON.parse of the whole text would give, less those fields; anything unusual
 * (or invalid, for its positioned error) takes the whole-text path.
 */
export function readGhostJson(bytes: Uint8Array): unknown {
  const whole = () => parseJsonFile(decodeText(bytes));
  const layout = postsLayout(bytes);
  if (!layout) return whole();
  // The array is replaced by a marker no file can predict; the marker must be what JSON.parse put at
  // the array's place (a later duplicate key, or one spelled with escapes the scan does not read,
  // would have replaced it), so the posts set there give exactly JSON.parse's tree.
  const marker = `\u0000posts:${Math.random().toString(36).slice(2)}:${Date.now()}`;
  let container: unknown;
  let root: unknown;
  try {
    const head = decodeText(bytes.subarray(0, layout.open));
    root = JSON.parse(`${head.charCodeAt(0) === 0xfeff ? head.slice(1) : head}${JSON.stringify(marker)}${decodeText(bytes.subarray(layout.close + 1))}`);
    container = layout.path.reduce<unknown>((at, step) => (isRow(at) || Array.isArray(at) ? (at as Record<string | number, unknown>)[step] : undefined), root);
  } catch {
    return whole();
  }
  if (!isRow(container) || container.posts !== marker) return whole();
  const list: unknown[] = [];
  for (const [from, to] of layout.elements) {
    try {
      list.push(slimPost(JSON.parse(decodeText(bytes.subarray(from, to)))));
    } catch {
      return whole();
    }
  }
  container.posts = list;
  return root;
}

/** The `data` object of a Ghost export, or an ImportFileError. */
function ghostData(root: unknown): { data: Row; version?: string } {
  const candidates = isRow(root) ? (Array.isArray(root.db) ? rows(root.db) : [root]) : [];
  for (const entry of candidates) {
    if (isRow(entry.data) && Array.isArray(entry.data.posts)) {
      return { data: entry.data, version: isRow(entry.meta) ? optional(entry.meta.version) : undefined };
    }
  }
  throw new ImportFileError("This JSON file is not a Ghost export: it has no db[0].data.posts (export it from Ghost under Settings → Labs → Export).");
}

/**
 * A Ghost date (ISO "2021-03-04T10:00:00.000Z", older SQLite "2019-01-01 10:00:00" in UTC, or ms)
 * → ms. null/absent → undefined; anything else → "bad".
 */
function ghostDate(value: unknown): number | undefined | "bad" {
  if (value === null || value === undefined || value === "") return undefined;
  if (typeof value === "number") return Number.isFinite(value) ? value : "bad";
  if (typeof value !== "string") return "bad";
  const m = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d(?::\d\d(?:\.\d{1,6})?)?)(Z|[+-]\d\d:?\d\d)?$/.exec(value.trim());
  if (!m) return "bad";
  const ms = Date.parse(`${m[1]}T${m[2]}${m[3] ?? "Z"}`);
  return Number.isNaN(ms) ? "bad" : ms;
}

function siteUrlFrom(data: Row): { title?: string; url?: string } {
  const settings = rows(data.settings);
  const get = (key: string) => optional(settings.find((s) => s.key === key)?.value);
  const raw = get("url");
  let url: string | undefined;
  if (raw && /^https?:\/\//i.test(raw)) {
    try {
      url = new URL(raw).href.replace(/\/+$/, "");
    } catch {
      url = undefined;
    }
  }
  return { title: get("title"), url };
}

/** Relation rows grouped by post id, in sort_order (then file order). */
function relations(list: Row[], column: string): Map<string, string[]> {
  const sorted = list
    .map((row, index) => ({ row, index, order: typeof row.sort_order === "number" ? row.sort_order : 0 }))
    .sort((a, b) => a.order - b.order || a.index - b.index);
  const byPost = new Map<string, string[]>();
  for (const { row } of sorted) {
    const postId = str(row.post_id);
    const id = str(row[column]);
    if (!postId || !id) continue;
    const ids = byPost.get(postId) ?? [];
    if (!ids.includes(id)) ids.push(id);
    byPost.set(postId, ids);
  }
  return byPost;
}

const STATUS: Record<string, ImportedStatus> = { published: "published", draft: "draft", scheduled: "scheduled" };

export function parseGhost(json: string): ParsedExport {
  return ghostExport(parseJsonFile(json));
}

/** parseGhost for the file's bytes (UTF-8, as uploaded), reading the posts one at a time. */
export function parseGhostBytes(bytes: Uint8Array): ParsedExport {
  return ghostExport(readGhostJson(bytes));
}

function ghostExport(root: unknown): ParsedExport {
  const { data } = ghostData(root);
  const site = siteUrlFrom(data);
  // Ghost 5 writes its own address as __GHOST_URL__ in html and image URLs.
  const resolveUrls = (text: string) => (text.includes("__GHOST_URL__") ? text.replace(/__GHOST_URL__/g, site.url ?? "") : text);

  const postRows = Array.isArray(data.posts) ? data.posts : [];
  if (postRows.length > MAX_IMPORT_POSTS) {
    throw new ImportFileError(`The export has ${postRows.length} posts; one import takes at most ${MAX_IMPORT_POSTS}.`);
  }

  const authors: ImportedAuthor[] = [];
  const authorIds = new Set<string>();
  for (const user of rows(data.users)) {
    const key = str(user.id);
    if (!key || authorIds.has(key)) continue;
    authorIds.add(key);
    const email = optional(user.email)?.toLowerCase();
    authors.push({
      key,
      name: str(user.name) || str(user.slug) || email || "Unknown author",
      ...(email ? { email } : {}),
      ...(optional(user.slug) ? { slug: str(user.slug) } : {}),
      ...(optional(user.bio) ? { bio: str(user.bio) } : {}),
    });
  }

  const tags: ImportedTerm[] = [];
  const tagIds = new Set<string>();
  const internalTags = new Map<string, string>();
  for (const tag of rows(data.tags)) {
    const key = str(tag.id);
    const name = str(tag.name);
    if (!key || !name) continue;
    // Internal tags (#name) organise Ghost's themes; Pressroom has no equivalent.
    if (name.startsWith("#") || tag.visibility === "internal") {
      internalTags.set(key, name);
      continue;
    }
    if (tagIds.has(key)) continue;
    tagIds.add(key);
    tags.push({ key, name, slug: str(tag.slug), ...(optional(tag.description) ? { description: str(tag.description) } : {}) });
  }

  const tagsOf = relations(rows(data.posts_tags), "tag_id");
  const authorsOf = relations(rows(data.posts_authors), "author_id");
  const metaOf = new Map(rows(data.posts_meta).map((m) => [str(m.post_id), m]));

  const posts: ImportedPost[] = [];
  const problems: ItemProblem[] = [];
  const seen = new Set<string>();
  postRows.forEach((raw: unknown, index: number) => {
    const position = index + 1;
    const problem = (message: string, item?: string) => problems.push({ position, ...(item ? { item } : {}), message });
    if (!isRow(raw)) return problem("Not a post object.");
    const key = str(raw.id);
    const title = str(raw.title);
    const item = title || key || undefined;
    if (!key) return problem("The post has no id.", item);
    if (seen.has(key)) return problem(`A second post with the id ${key}: not imported.`, item);
    seen.add(key);
    const notes: string[] = [];

    let html: string;
    try {
      if (typeof raw.html === "string") html = raw.html;
      else if (typeof raw.lexical === "string" && raw.lexical) html = lexicalToHtml(raw.lexical);
      else if (typeof raw.mobiledoc === "string" && raw.mobiledoc) html = mobiledocToHtml(raw.mobiledoc);
      else html = "";
    } catch (error) {
      return problem(`The body could not be read: ${error instanceof Error ? error.message : "unknown error"}.`, item);
    }
    html = resolveUrls(html);
    if (!title && !html.trim()) return problem("The post has neither a title nor a body.", item);

    const dates = { published_at: ghostDate(raw.published_at), created_at: ghostDate(raw.created_at), updated_at: ghostDate(raw.updated_at) };
    const badDate = Object.entries(dates).find(([, v]) => v === "bad");
    if (badDate) return problem(`${badDate[0]} is not a date.`, item);
    const date = (v: number | undefined | "bad") => (typeof v === "number" ? v : undefined);
    let publishedAt = date(dates.published_at);

    const sourceStatus = str(raw.status);
    let status: ImportedStatus = STATUS[sourceStatus] ?? "draft";
    if (sourceStatus === "sent") notes.push("Sent as an email only in Ghost: imported as a draft.");
    else if (!STATUS[sourceStatus]) notes.push(`Ghost status "${sourceStatus || "none"}": imported as a draft.`);
    if (status === "scheduled" && publishedAt === undefined) {
      status = "draft";
      notes.push("Scheduled in Ghost without a time: imported as a draft.");
    }
    if (status === "published") publishedAt ??= date(dates.created_at);
    if (status === "draft") publishedAt = undefined;

    const visibility = str(raw.visibility) || "public";
    // Any restriction we do not know (older Ghost's "filter", a future one) stays behind the paywall:
    // an import must never make restricted content public.
    const paid = visibility !== "public" && visibility !== "members";
    if (visibility === "members") notes.push("Members-only in Ghost: Pressroom has no free-members tier, so it is public.");
    else if (paid && visibility !== "paid" && visibility !== "tiers") notes.push(`Ghost visibility "${visibility}": imported as paid-only.`);
    if ((raw.featured === true || raw.featured === 1) && !paid) notes.push("Featured in Ghost: Pressroom's featured means paid-only, so it was not carried over.");

    const meta = metaOf.get(key) ?? {};
    const featureImage = resolveUrls(str(raw.feature_image));
    const alt = optional(meta.feature_image_alt) ?? optional(raw.feature_image_alt);
    const caption = optional(meta.feature_image_caption) ?? optional(raw.feature_image_caption);

    const postTagIds = tagsOf.get(key) ?? [];
    for (const id of postTagIds) {
      const internal = internalTags.get(id);
      if (internal) notes.push(`Internal tag "${internal}" not imported.`);
    }
    let authorKeys = (authorsOf.get(key) ?? []).filter((id) => authorIds.has(id));
    if (authorKeys.length === 0 && authorIds.has(str(raw.author_id))) authorKeys = [str(raw.author_id)];

    const slug = optional(raw.slug) ?? null;
    posts.push({
      key,
      position,
      title: title || "(Untitled)",
      slug,
      html,
      status,
      ...(publishedAt !== undefined ? { publishedAt } : {}),
      ...(date(dates.created_at) !== undefined ? { createdAt: date(dates.created_at) } : {}),
      ...(date(dates.updated_at) !== undefined ? { updatedAt: date(dates.updated_at) } : {}),
      paid,
      ...(raw.type === "page" ? { isPage: true } : {}),
      ...(optional(raw.custom_excerpt) ? { excerpt: str(raw.custom_excerpt) } : {}),
      authorKeys,
      tagKeys: postTagIds.filter((id) => tagIds.has(id)),
      ...(featureImage ? { cover: { url: featureImage, ...(alt ? { alt } : {}), ...(caption ? { caption } : {}) } } : {}),
      ...(optional(meta.meta_title) ?? optional(raw.meta_title) ? { seoTitle: optional(meta.meta_title) ?? optional(raw.meta_title) } : {}),
      ...(optional(meta.meta_description) ?? optional(raw.meta_description)
        ? { seoDescription: optional(meta.meta_description) ?? optional(raw.meta_description) }
        : {}),
      legacyPaths: slug ? [`/${slug}/`] : [],
      ...(notes.length ? { notes } : {}),
    });
  });

  return { source: "ghost", site, authors, tags, categories: [], posts, problems, images: [], memberLists: [] };
}
