"use node";

// The one entry point for an uploaded export (issue #17): recognises the format by the file's
// content (never its name), reads a zip safely (zip.ts), and hands the right part to the format's
// parser. Anything that cannot be imported at all is an ImportFileError whose message the owner
// reads as is.

import { detectFormat, parseRecords } from "../model/audienceImportFormat";
import { parseGhostBytes } from "./ghost";
import { isMediumExport, parseMedium } from "./medium";
import { isSubstackExport, parseSubstack } from "./substack";
import { ImportFileError, MAX_IMPORT_FILE_BYTES, type ParsedExport, SOURCE_LABELS } from "./types";
import { parseWxr } from "./wxr";
import { collectImages, decodeText, looksLikeZip, readZip, type ZipEntry } from "./zip";

export const UNRECOGNISED_FILE = `We could not recognise this file. Pressroom imports: ${Object.values(SOURCE_LABELS).join(", ")}. Upload the file (or zip) exactly as the old platform exported it.`;
export const MEMBERS_CSV = "This is a members CSV: import it under Audience → Import.";

/** Reads an uploaded export. @throws ImportFileError when the file cannot be imported at all. */
export function parseUpload(bytes: Uint8Array, fileName: string): ParsedExport {
  if (bytes.length > MAX_IMPORT_FILE_BYTES) {
    throw new ImportFileError(`The file is ${mib(bytes.length)}; the largest we import is ${mib(MAX_IMPORT_FILE_BYTES)}.`);
  }
  if (looksLikeZip(bytes)) return parseZip(readZip(bytes));
  const body = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  const head = decodeText(body.subarray(0, 4096));
  if (head.trim() === "" && isBlank(body)) throw new ImportFileError(`"${fileName}" is empty.`);
  if (head.includes("\u0000")) throw new ImportFileError(UNRECOGNISED_FILE);
  const start = head.trimStart();
  if (start.startsWith("{")) return parseGhostBytes(body);
  if (/^<\?xml|^<rss[\s>]/i.test(start)) return parseWxr(decodeText(body));
  if (/^<(!doctype html|html[\s>])/i.test(start)) {
    throw new ImportFileError("This is a single web page. For Medium, upload the whole export zip Medium sent you (its posts folder holds every post).");
  }
  throw new ImportFileError(csvMessage(start) ?? UNRECOGNISED_FILE);
}

/** A CSV on its own: a members list (imported elsewhere), or Substack's posts.csv without its zip. */
function csvMessage(text: string): string | null {
  const firstLine = text.split(/\r?\n/)[0];
  if (!firstLine.includes(",")) return null;
  let cells: string[];
  try {
    cells = parseRecords(firstLine, 1)[0] ?? [];
  } catch {
    return null;
  }
  const names = cells.map((c) => c.trim().toLowerCase());
  if (names.includes("post_id") && names.includes("is_published")) {
    return "This is Substack's posts.csv on its own. Upload the whole export zip Substack sent you: the posts' text is in it.";
  }
  return "error" in detectFormat(cells) ? null : MEMBERS_CSV;
}

/** A zip: Substack (posts.csv), Medium (posts/*.html), or a Ghost JSON / WordPress WXR with its images. */
function parseZip(all: ZipEntry[]): ParsedExport {
  if (all.length === 0) throw new ImportFileError("The zip is empty.");
  const inner = withoutTopFolder(all);
  for (const entries of inner ? [all, inner] : [all]) {
    if (isSubstackExport(entries)) return parseSubstack(entries);
    if (isMediumExport(entries)) return parseMedium(entries);
  }
  return parseSingleExport(inner ?? all);
}

function parseSingleExport(entries: ZipEntry[]): ParsedExport {
  const exports = entries.filter((e) => /\.(json|xml)$/i.test(e.path));
  if (exports.length === 0) throw new ImportFileError(UNRECOGNISED_FILE);
  if (exports.length > 1) {
    const names = exports.slice(0, 5).map((e) => e.path);
    throw new ImportFileError(`The zip holds several export files (${names.join(", ")}). Upload a zip with one Ghost JSON or WordPress XML export.`);
  }
  const [file] = exports;
  const parsed = /\.json$/i.test(file.path) ? parseGhostBytes(file.read()) : parseWxr(file.text());
  const { images, problems } = collectImages(entries);
  return { ...parsed, images: [...parsed.images, ...images], problems: [...parsed.problems, ...problems] };
}

/** The same entries without the one folder they all sit in (an export unzipped and zipped again). */
function withoutTopFolder(entries: ZipEntry[]): ZipEntry[] | null {
  const top = entries[0]?.path.split("/")[0];
  if (!top || !entries.every((e) => e.path.startsWith(`${top}/`))) return null;
  return entries.map((e) => ({ ...e, path: e.path.slice(top.length + 1) }));
}

function isBlank(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09);
}

function mib(n: number): string {
  return `${(n / 2 ** 20).toLocaleString("en", { maximumFractionDigits: 1 })} MB`;
}
