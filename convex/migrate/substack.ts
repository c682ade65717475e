"use node";

// Substack's export zip (issue #17): posts.csv (one row a post: post_id, post_date, is_published,
// email_sent_at, type, audience, title, subtitle, podcast_url) with each body in
// posts/{post_id}.html, the subscriber CSVs next to them, and sometimes images. post_id is
// "123456.slug-words": the number is the post's id (idempotency key), the rest its slug, and its old
// address was /p/slug. Substack exports carry no author, so every post gets one: the publication's.

import { CsvFileError, detectFormat, parseRecords } from "../model/audienceImportFormat";
import { escapeHtml } from "../shared/html";
import { withHtmlReader } from "./dom";
import { type ImportedMemberList, type ImportedPost, ImportFileError, type ItemProblem, MAX_IMPORT_POSTS, type ParsedExport } from "./types";
import { collectImages, decodeText, type ZipEntry } from "./zip";

export const SUBSTACK_AUTHOR_KEY = "substack:owner";
const PAID_AUDIENCES = new Set(["only_paid", "founding"]);
const REQUIRED_COLUMNS = ["post_id", "post_date", "is_published", "type", "audience", "title"] as const;

/** True when the zip is a Substack export (posts.csv at its root). */
export function isSubstackExport(entries: readonly ZipEntry[]): boolean {
  return entries.some((e) => e.path === "posts.csv");
}

export function parseSubstack(entries: readonly ZipEntry[], opts: { siteTitle?: string } = {}): ParsedExport {
  const byPath = new Map(entries.map((e) => [e.path, e]));
  const postsCsv = byPath.get("posts.csv");
  if (!postsCsv) throw new ImportFileError("This Substack export has no posts.csv. Upload the zip exactly as Substack sent it.");
  const rows = readCsv(postsCsv.text(), "posts.csv");
  const header = (rows.shift() ?? []).map((h) => h.trim().toLowerCase());
  const missing = REQUIRED_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length) throw new ImportFileError(`posts.csv has no ${missing.join(", ")} column${missing.length > 1 ? "s" : ""}: this is not a Substack posts list.`);
  if (rows.length > MAX_IMPORT_POSTS) throw new ImportFileError(`posts.csv lists ${rows.length} posts; one import takes at most ${MAX_IMPORT_POSTS}.`);
  const col = (row: string[], name: string) => (row[header.indexOf(name)] ?? "").trim();

  const posts: ImportedPost[] = [];
  const problems: ItemProblem[] = [];
  withHtmlReader((html) => {
    rows.forEach((row, i) => {
      const position = i + 1;
      if (row.every((c) => c.trim() === "")) return; // a blank line, not an item
      const postId = col(row, "post_id");
      const title = html.entities(col(row, "title")).replace(/\s+/g, " ");
      const item = title || postId || undefined;
      const fail = (message: string) => problems.push({ position, ...(item ? { item } : {}), message });
      if (!postId) return fail("The row has no post_id.");
      const dot = postId.indexOf(".");
      const key = dot < 0 ? postId : postId.slice(0, dot);
      const slug = dot < 0 ? null : postId.slice(dot + 1).trim() || null;
      const body = byPath.get(`posts/${postId}.html`);
      if (!body) return fail(`Its body, posts/${postId}.html, is not in the zip.`);
      const published = /^true$/i.test(col(row, "is_published"));
      const rawDate = col(row, "post_date");
      const date = rawDate ? Date.parse(rawDate) : NaN;
      if (rawDate && Number.isNaN(date)) return fail(`Its post_date "${rawDate.slice(0, 40)}" is not a date.`);
      if (published && Number.isNaN(date)) return fail("It is published but has no post_date.");
      let bodyHtml = decodeText(body.read());
      if (!title && !html.text(bodyHtml).trim()) return fail("It has neither a title nor a body.");

      const type = col(row, "type").toLowerCase();
      const notes: string[] = [];
      if (type === "podcast") {
        const audio = webUrl(col(row, "podcast_url"));
        if (audio) bodyHtml = `<p>Listen to this episode: <a href="${escapeHtml(audio)}">${escapeHtml(audio)}</a></p>\n${bodyHtml}`;
        notes.push(audio ? "A podcast episode: its audio stays where it is, linked at the top of the post." : "A podcast episode: its audio was not in the export.");
      } else if (type === "thread") {
        notes.push("A Substack thread: imported as a post; its discussion was not in the export.");
      }
      const subtitle = html.entities(col(row, "subtitle")).replace(/\s+/g, " ").trim();
      posts.push({
        key,
        position,
        title: title || (slug ? slug.replace(/-/g, " ") : "Untitled"),
        slug,
        html: bodyHtml,
        status: published ? "published" : "draft",
        ...(published ? { publishedAt: date } : {}),
        ...(Number.isNaN(date) ? {} : { createdAt: date, updatedAt: date }),
        paid: PAID_AUDIENCES.has(col(row, "audience").toLowerCase()),
        ...(type === "page" ? { isPage: true } : {}),
        ...(subtitle ? { excerpt: subtitle } : {}),
        authorKeys: [SUBSTACK_AUTHOR_KEY],
        tagKeys: [],
        legacyPaths: slug ? [`/p/${slug}`] : [],
        ...(notes.length ? { notes } : {}),
      });
    });
  });

  const { images, problems: imageProblems } = collectImages(entries);
  problems.push(...imageProblems);
  return {
    source: "substack",
    ...(opts.siteTitle ? { site: { title: opts.siteTitle } } : {}),
    authors: [{ key: SUBSTACK_AUTHOR_KEY, name: opts.siteTitle || "Substack author" }],
    tags: [],
    categories: [],
    posts,
    problems,
    images,
    memberLists: memberLists(entries),
  };
}

/**
 * Subscriber lists: every CSV outside posts/ (posts/ holds per-post open and delivery stats) whose
 * header has an email column, by the members import's own rule (detectFormat).
 */
function memberLists(entries: readonly ZipEntry[]): ImportedMemberList[] {
  const lists: ImportedMemberList[] = [];
  for (const e of entries) {
    if (!/\.csv$/i.test(e.path) || e.path === "posts.csv" || e.path.startsWith("posts/")) continue;
    const bytes = e.read();
    const firstLine = decodeText(bytes.subarray(0, 4096)).split(/\r?\n/)[0];
    let headerCells: string[];
    try {
      headerCells = parseRecords(firstLine, 1)[0] ?? [];
    } catch {
      continue; // not a CSV we can read: not a subscriber list
    }
    if (!("error" in detectFormat(headerCells))) lists.push({ path: e.path, bytes });
  }
  return lists;
}

function readCsv(text: string, name: string): string[][] {
  try {
    return parseRecords(text.replace(/^\uFEFF/, ""), 1);
  } catch (error) {
    if (error instanceof CsvFileError) throw new ImportFileError(`${name}: ${error.message}`);
    throw error;
  }
}

/** An http(s) URL, or null: nothing else becomes a link. */
function webUrl(raw: string): string | null {
  try {
    const url = new URL(raw);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

