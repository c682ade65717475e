// The shapes every import format is read into (issue #17, ADR 015). A parser (ghost.ts, wxr.ts,
// substack.ts, medium.ts; one entry point, parse.ts) turns an uploaded file into a ParsedExport of
// plain data with the body still as HTML; html.ts turns each body into the editor's TipTap document
// (PreparedPost); the import job (convex/contentImport.ts + convex/model/contentImport*.ts) writes
// them. Pure types and limits: no Convex or Node imports, so parsers, the job, the studio and tests
// share them.

export const IMPORT_SOURCES = ["ghost", "wordpress", "substack", "medium"] as const;
export type ImportSource = (typeof IMPORT_SOURCES)[number];

export const SOURCE_LABELS: Readonly<Record<ImportSource, string>> = {
  ghost: "Ghost JSON export",
  wordpress: "WordPress export (WXR)",
  substack: "Substack export",
  medium: "Medium export",
};

// --- limits (one place; the studio shows them, the parsers and the job enforce them) -------------
/** Largest upload accepted (bytes). Real Ghost exports run to tens of MB. */
export const MAX_IMPORT_FILE_BYTES = 100 * 2 ** 20;
/** Zip: total uncompressed bytes over every entry read, and one entry's. */
export const MAX_UNZIPPED_BYTES = 400 * 2 ** 20;
export const MAX_ZIP_ENTRY_BYTES = 50 * 2 ** 20;
/** Zip: an entry over 1 MiB uncompressed that inflates more than this many times is a bomb. */
export const MAX_ZIP_RATIO = 100;
export const MAX_ZIP_ENTRIES = 20_000;
/** Posts (and pages) in one import. */
export const MAX_IMPORT_POSTS = 20_000;
/** Report entries kept on the job row (the rest are counted in reportOverflow). */
export const MAX_REPORT_ENTRIES = 300;

/** A file that cannot be imported at all: nothing is written, the message is shown as is. */
export class ImportFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ImportFileError";
  }
}

// --- what a parser reads --------------------------------------------------------------------------

export interface ImportedAuthor {
  /** The source's id for the author (Ghost user id, WordPress login, Substack/Medium: a name-derived key). */
  key: string;
  name: string;
  /** Lowercased when present; matched against the site's members. */
  email?: string;
  slug?: string;
  bio?: string;
}

export interface ImportedTerm {
  /** The source's id (Ghost tag id, WordPress nicename). */
  key: string;
  name: string;
  slug: string;
  description?: string;
}

export type ImportedStatus = "published" | "draft" | "scheduled";

export interface ImportedPost {
  /** The source's id for the post (Ghost post id, wp:post_id, Substack post_id, Medium file name). Idempotency matches on it. */
  key: string;
  /** 1-based position of the item in the file (the report names bad items by it). */
  position: number;
  title: string;
  /** The slug as the source had it; null when it had none (derived from the title). */
  slug: string | null;
  /** The body as HTML (Ghost: html, or rendered from lexical/mobiledoc when html is missing). */
  html: string;
  status: ImportedStatus;
  /** ms since epoch. publishedAt for published posts; scheduled posts' time in publishedAt too. */
  publishedAt?: number;
  createdAt?: number;
  updatedAt?: number;
  /** Paid-only at the source (Ghost visibility paid/tiers, Substack audience only_paid): becomes featured. */
  paid: boolean;
  /** A page at the source (Ghost type page, WordPress page, Substack type page): imported as a draft post, and reported. */
  isPage?: boolean;
  /** The author's own excerpt (Ghost custom_excerpt, WordPress excerpt:encoded, Substack subtitle). */
  excerpt?: string;
  /** Author keys; the first is the post's author. */
  authorKeys: string[];
  tagKeys: string[];
  /** Pressroom has one category per post: the first of the source's categories; the rest become report notes. */
  categoryKey?: string;
  cover?: { url: string; alt?: string; caption?: string };
  seoTitle?: string;
  seoDescription?: string;
  /**
   * The post's old addresses on the source, as site-relative paths without host (see legacyPathKey):
   * WordPress "/2019/03/04/slug/" and "?p=123", Substack "/p/slug", Ghost "/slug/".
   */
  legacyPaths: string[];
  /** Source-specific notes found while parsing (e.g. "a second category was dropped"). */
  notes?: string[];
}

/** One bad item: reported with its position; the rest of the file is imported. */
export interface ItemProblem {
  position: number;
  /** What the item is called in the source (title or id), when known. */
  item?: string;
  message: string;
}

/** An image inside the upload (a zip entry), by its path in the zip. */
export interface ImportedImage {
  path: string;
  contentType: string;
  bytes: Uint8Array;
}

/** A members CSV found inside the upload (Substack's subscriber lists), handed to the audience import. */
export interface ImportedMemberList {
  path: string;
  bytes: Uint8Array;
}

export interface ParsedExport {
  source: ImportSource;
  site?: { title?: string; url?: string };
  authors: ImportedAuthor[];
  tags: ImportedTerm[];
  categories: ImportedTerm[];
  posts: ImportedPost[];
  problems: ItemProblem[];
  images: ImportedImage[];
  memberLists: ImportedMemberList[];
}

// --- what html.ts makes of a post ----------------------------------------------------------------

/** Something the editor cannot hold, kept as a link or a note in the document and listed in the report. */
export interface Unsupported {
  /** e.g. "embed", "gallery", "shortcode", "script", "form", "iframe", "video", "audio", "table". */
  kind: string;
  /** What was there (a URL, a shortcode name), for the report. */
  detail: string;
}

export interface PreparedPost extends Omit<ImportedPost, "html"> {
  /** The TipTap document (JSON text, ADR 005), sanitized through the editor's schema. */
  doc: string;
  /** Image srcs in the doc that name a file inside the upload ("zip:" + path); the job swaps in storage URLs. */
  localImages: string[];
  unsupported: Unsupported[];
}

/** An image src pointing into the upload, written by html.ts and resolved by the job. */
export const LOCAL_IMAGE_PREFIX = "zip:";

/**
 * The lookup key of an old address (the legacyPaths table and the reader's redirect): lowercased,
 * percent-decoded, one leading slash, no trailing slash; a WordPress "?p=123" stays "?p=123".
 * Returns null for anything that is not a plain site-relative path.
 */
export function legacyPathKey(path: string): string | null {
  const p = path.trim();
  const id = /^\/?\?p=(\d{1,12})$/.exec(p);
  if (id) return `?p=${id[1]}`;
  if (!p.startsWith("/") || p.startsWith("//") || p.includes("?") || p.includes("#") || p.length > 500) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(p);
  } catch {
    return null;
  }
  if (/[\s\\]|\/\.\.?(\/|$)/.test(decoded)) return null;
  const trimmed = decoded.replace(/\/+$/, "").toLowerCase();
  return trimmed === "" ? null : trimmed;
}
