// Reading an uploaded zip without trusting it (issue #17). The whole directory is checked before a
// single byte is inflated: entry count, declared sizes and ratios (zip bombs), names (path
// traversal), encryption and symlinks. Each entry then inflates lazily through fflate's streaming
// Inflate with a hard cap at its declared size, so an entry that lies about its size is refused as
// soon as it overshoots, not after it has filled memory.
//
// fflate does the inflating. It does not expose the central directory's flags, external attributes
// or local header offsets (needed to refuse encrypted entries and symlinks, and to read one entry
// without walking the others), so the directory's fixed-offset records are read here (APPNOTE 4.3).

import { Inflate } from "fflate";
import { type ImportedImage, ImportFileError, type ItemProblem, MAX_UNZIPPED_BYTES, MAX_ZIP_ENTRIES, MAX_ZIP_ENTRY_BYTES, MAX_ZIP_RATIO } from "./types";

export interface ZipEntry {
  /** The entry's path inside the zip (checked: relative, forward slashes, no `..`). */
  path: string;
  /** Declared uncompressed size (bytes); reading never yields more. */
  size: number;
  compressedSize: number;
  /** Inflates the entry (capped at `size`). Throws ImportFileError when it is damaged or lies about its size. */
  read(): Uint8Array;
  /** The entry's bytes in chunks, without holding the whole entry (same checks as read()). */
  stream(onChunk: (chunk: Uint8Array) => void): void;
  /** read() decoded as UTF-8 (a leading BOM dropped). */
  text(): string;
}

export const DAMAGED_ZIP = "The zip file is damaged or incomplete.";
/** Above this uncompressed size an entry's compression ratio is checked (small files compress well legitimately). */
const RATIO_CHECK_FROM = 2 ** 20;
/** Compressed bytes pushed to the inflater at a time: at most ~1,032x this comes out per push. */
const INFLATE_CHUNK = 16 * 1024;

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_END = 0x06054b50;
const SIG_END64 = 0x06064b50;
const SIG_END64_LOCATOR = 0x07064b50;

/** Starts with a zip signature (a local header, or the end record of an empty zip). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (u32(bytes, 0) === SIG_LOCAL || u32(bytes, 0) === SIG_END);
}

interface RawEntry {
  name: string;
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
  madeBy: number;
  externalAttrs: number;
}

/**
 * Lists a zip's files (directories, `__MACOSX/` and dotfiles left out) after refusing, with an
 * ImportFileError and before inflating anything, whatever could hurt: too many entries, declared
 * sizes or ratios of a zip bomb, overlapping entries, unsafe names, encryption, symlinks.
 */
export function readZip(bytes: Uint8Array): ZipEntry[] {
  const raw = readCentralDirectory(bytes);
  if (raw.length > MAX_ZIP_ENTRIES) {
    throw new ImportFileError(`The zip holds ${raw.length.toLocaleString("en")} files; the most we read is ${MAX_ZIP_ENTRIES.toLocaleString("en")}.`);
  }
  let declaredTotal = 0;
  const ranges: Array<[number, number]> = [];
  const seen = new Set<string>();
  const entries: ZipEntry[] = [];
  for (const e of raw) {
    checkName(e.name);
    const isDir = e.name.endsWith("/");
    if (isDir) continue;
    if (e.flags & 1 || e.method === 99) throw new ImportFileError(`The zip is password-protected ("${e.name}"). Export it again without a password.`);
    if (e.madeBy >>> 8 === 3 && ((e.externalAttrs >>> 16) & 0o170000) === 0o120000) {
      throw new ImportFileError(`The zip holds a symbolic link ("${e.name}"), which we do not read.`);
    }
    if (e.method !== 0 && e.method !== 8) throw new ImportFileError(`"${e.name}" in the zip uses a compression method we cannot read. Zip it again with standard compression.`);
    if (e.size > MAX_ZIP_ENTRY_BYTES) {
      throw new ImportFileError(`"${e.name}" in the zip unpacks to ${mib(e.size)}; the most we read for one file is ${mib(MAX_ZIP_ENTRY_BYTES)}.`);
    }
    declaredTotal += e.size;
    if (declaredTotal > MAX_UNZIPPED_BYTES) throw new ImportFileError(`The zip unpacks to more than ${mib(MAX_UNZIPPED_BYTES)}, the most we read.`);
    if (e.size > RATIO_CHECK_FROM && e.size > e.compressedSize * MAX_ZIP_RATIO) {
      throw new ImportFileError(`"${e.name}" in the zip is compressed suspiciously well (more than ${MAX_ZIP_RATIO} to 1): it looks like a zip bomb, so we stopped.`);
    }
    if (e.method === 0 && e.size !== e.compressedSize) throw new ImportFileError(DAMAGED_ZIP);
    const dataStart = localDataStart(bytes, e);
    if (dataStart + e.compressedSize > bytes.length) throw new ImportFileError(DAMAGED_ZIP);
    ranges.push([e.localOffset, dataStart + e.compressedSize]);
    const ignored = e.name.startsWith("__MACOSX/") || e.name.split("/").some((s) => s.startsWith("."));
    if (ignored) continue;
    if (seen.has(e.name)) throw new ImportFileError(`The zip holds "${e.name}" twice.`);
    seen.add(e.name);
    entries.push(makeEntry(bytes, e, dataStart));
  }
  // Entries sharing bytes are how a small zip declares gigabytes under honest-looking ratios.
  ranges.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i][0] < ranges[i - 1][1]) throw new ImportFileError(`${DAMAGED_ZIP} (Its files overlap, as in a zip bomb.)`);
  }
  return entries;
}

function readCentralDirectory(bytes: Uint8Array): RawEntry[] {
  // The end record is in the last 22 + 65,535 (comment) bytes.
  let end = -1;
  for (let i = bytes.length - 22; i >= 0 && i >= bytes.length - 22 - 0xffff; i--) {
    if (u32(bytes, i) === SIG_END) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new ImportFileError(DAMAGED_ZIP);
  let count = u16(bytes, end + 10);
  let dirSize = u32(bytes, end + 12);
  let dirOffset = u32(bytes, end + 16);
  if (end >= 20 && u32(bytes, end - 20) === SIG_END64_LOCATOR) {
    const at = u64(bytes, end - 12);
    if (at + 56 > bytes.length || u32(bytes, at) !== SIG_END64) throw new ImportFileError(DAMAGED_ZIP);
    count = u64(bytes, at + 32);
    dirSize = u64(bytes, at + 40);
    dirOffset = u64(bytes, at + 48);
  }
  if (count > MAX_ZIP_ENTRIES) {
    throw new ImportFileError(`The zip holds ${count.toLocaleString("en")} files; the most we read is ${MAX_ZIP_ENTRIES.toLocaleString("en")}.`);
  }
  if (dirOffset + dirSize > bytes.length) throw new ImportFileError(DAMAGED_ZIP);
  const out: RawEntry[] = [];
  let p = dirOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > bytes.length || u32(bytes, p) !== SIG_CENTRAL) throw new ImportFileError(DAMAGED_ZIP);
    const nameLen = u16(bytes, p + 28);
    const extraLen = u16(bytes, p + 30);
    const commentLen = u16(bytes, p + 32);
    const next = p + 46 + nameLen + extraLen + commentLen;
    if (next > bytes.length) throw new ImportFileError(DAMAGED_ZIP);
    const flags = u16(bytes, p + 8);
    const e: RawEntry = {
      name: decodeName(bytes.subarray(p + 46, p + 46 + nameLen), (flags & 0x800) !== 0),
      flags,
      method: u16(bytes, p + 10),
      crc: u32(bytes, p + 16),
      compressedSize: u32(bytes, p + 20),
      size: u32(bytes, p + 24),
      localOffset: u32(bytes, p + 42),
      madeBy: u16(bytes, p + 4),
      externalAttrs: u32(bytes, p + 38),
    };
    applyZip64(bytes, p + 46 + nameLen, extraLen, e);
    out.push(e);
    p = next;
  }
  return out;
}

/** Sizes and offsets of 0xFFFFFFFF live in the zip64 extra field (id 1), in this order. */
function applyZip64(bytes: Uint8Array, start: number, len: number, e: RawEntry): void {
  const MAX = 0xffffffff;
  if (e.size !== MAX && e.compressedSize !== MAX && e.localOffset !== MAX) return;
  for (let q = start; q + 4 <= start + len; q += 4 + u16(bytes, q + 2)) {
    if (u16(bytes, q) !== 1) continue;
    let r = q + 4;
    const endOfField = r + u16(bytes, q + 2);
    const take = () => {
      if (r + 8 > endOfField) throw new ImportFileError(DAMAGED_ZIP);
      const v = u64(bytes, r);
      r += 8;
      return v;
    };
    if (e.size === MAX) e.size = take();
    if (e.compressedSize === MAX) e.compressedSize = take();
    if (e.localOffset === MAX) e.localOffset = take();
    return;
  }
  throw new ImportFileError(DAMAGED_ZIP);
}

function localDataStart(bytes: Uint8Array, e: RawEntry): number {
  const p = e.localOffset;
  if (p + 30 > bytes.length || u32(bytes, p) !== SIG_LOCAL) throw new ImportFileError(DAMAGED_ZIP);
  const nameLen = u16(bytes, p + 26);
  const localName = decodeName(bytes.subarray(p + 30, p + 30 + nameLen), (u16(bytes, p + 6) & 0x800) !== 0);
  // A local name that differs from the directory's is how one zip shows different files to different tools.
  if (localName !== e.name) throw new ImportFileError(DAMAGED_ZIP);
  return p + 30 + nameLen + u16(bytes, p + 28);
}

/** Path traversal and friends: the name must be a plain relative path. */
function checkName(name: string): void {
  const bad =
    name === "" ||
    name.includes("\\") ||
    hasControlChar(name) ||
    name.startsWith("/") ||
    /^[a-zA-Z]:/.test(name) ||
    name.split("/").some((s) => s === ".." || s === ".") ||
    name.includes("//");
  if (bad) throw new ImportFileError(`The zip holds a file with an unsafe name ("${printable(name)}"), so we did not read it.`);
}

function makeEntry(bytes: Uint8Array, e: RawEntry, dataStart: number): ZipEntry {
  const data = () => bytes.subarray(dataStart, dataStart + e.compressedSize);
  const stream = (onChunk: (chunk: Uint8Array) => void) => {
    let out = 0;
    let crc = 0xffffffff;
    const take = (chunk: Uint8Array) => {
      out += chunk.length;
      if (out > e.size) throw new ImportFileError(`"${e.name}" in the zip unpacks to more than it declares (${e.size.toLocaleString("en")} bytes): it looks like a zip bomb, so we stopped.`);
      crc = crc32(crc, chunk);
      if (chunk.length) onChunk(chunk);
    };
    const src = data();
    if (e.method === 0) {
      for (let i = 0; i < src.length; i += INFLATE_CHUNK) take(src.subarray(i, i + INFLATE_CHUNK));
    } else {
      let finished = false;
      const inflater = new Inflate((chunk, final) => {
        take(chunk);
        if (final) finished = true;
      });
      try {
        for (let i = 0; i < src.length; i += INFLATE_CHUNK) inflater.push(src.subarray(i, i + INFLATE_CHUNK), i + INFLATE_CHUNK >= src.length);
        if (src.length === 0) inflater.push(new Uint8Array(0), true);
      } catch (err) {
        if (err instanceof ImportFileError) throw err;
        throw new ImportFileError(DAMAGED_ZIP);
      }
      if (!finished) throw new ImportFileError(DAMAGED_ZIP);
    }
    if (out !== e.size || (crc ^ 0xffffffff) >>> 0 !== e.crc) throw new ImportFileError(DAMAGED_ZIP);
  };
  const read = () => {
    const out = new Uint8Array(e.size);
    let at = 0;
    stream((chunk) => {
      out.set(chunk, at);
      at += chunk.length;
    });
    return out;
  };
  return {
    path: e.name,
    size: e.size,
    compressedSize: e.compressedSize,
    read,
    stream,
    text: () => decodeText(read()),
  };
}

const IMAGE_EXTENSIONS = /\.(png|jpe?g|gif|webp)$/i;

/** The content type an image's own bytes show (never its name: an "x.png" holding HTML is no image). */
export function sniffImageType(b: Uint8Array): string | null {
  const starts = (...sig: number[]) => sig.every((v, i) => b[i] === v);
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "image/png";
  if (starts(0xff, 0xd8, 0xff)) return "image/jpeg";
  if (starts(0x47, 0x49, 0x46, 0x38)) return "image/gif";
  if (starts(0x52, 0x49, 0x46, 0x46) && b[8] === 0x57 && b[9] === 0x45 && b[10] === 0x42 && b[11] === 0x50) return "image/webp";
  return null;
}

/**
 * The upload's images (png, jpg, gif, webp by name, and by their bytes). SVG is left out: it can
 * carry script. @returns the images, and a problem (position 0: not a post) for each file named like
 * an image whose bytes are not one.
 */
export function collectImages(entries: readonly ZipEntry[]): { images: ImportedImage[]; problems: ItemProblem[] } {
  const images: ImportedImage[] = [];
  const problems: ItemProblem[] = [];
  for (const entry of entries) {
    if (!IMAGE_EXTENSIONS.test(entry.path)) continue;
    const bytes = entry.read();
    const contentType = sniffImageType(bytes);
    if (contentType) images.push({ path: entry.path, contentType, bytes });
    else problems.push({ position: 0, item: entry.path, message: "Named like an image but is not one; left out." });
  }
  return { images, problems };
}

/** UTF-8 text with a leading byte-order mark dropped (invalid sequences become U+FFFD). */
export function decodeText(bytes: Uint8Array): string {
  return new TextDecoder("utf-8", { ignoreBOM: false }).decode(bytes);
}

function decodeName(raw: Uint8Array, utf8Flag: boolean): string {
  // Many zippers write UTF-8 names without the flag; anything else is read as Latin-1 (never throws).
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(raw);
  } catch {
    if (utf8Flag) throw new ImportFileError(DAMAGED_ZIP);
    return new TextDecoder("latin1").decode(raw);
  }
}

let crcTable: Uint32Array | undefined;
function crc32(crc: number, chunk: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = crc;
  for (let i = 0; i < chunk.length; i++) c = crcTable[(c ^ chunk[i]) & 0xff] ^ (c >>> 8);
  return c >>> 0;
}

function u16(b: Uint8Array, i: number): number {
  if (i < 0 || i + 2 > b.length) throw new ImportFileError(DAMAGED_ZIP);
  return b[i] | (b[i + 1] << 8);
}
function u32(b: Uint8Array, i: number): number {
  if (i < 0 || i + 4 > b.length) throw new ImportFileError(DAMAGED_ZIP);
  return (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
}
function u64(b: Uint8Array, i: number): number {
  const v = u32(b, i) + u32(b, i + 4) * 2 ** 32;
  // Anything past 2^53 is not a real offset or size in an upload of at most 100 MiB.
  if (!Number.isSafeInteger(v)) throw new ImportFileError(DAMAGED_ZIP);
  return v;
}
function mib(n: number): string {
  return `${Math.round(n / 2 ** 20).toLocaleString("en")} MB`;
}
function hasControlChar(name: string): boolean {
  for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) < 0x20) return true;
  return false;
}
function printable(name: string): string {
  return Array.from(name.slice(0, 120), (c) => (c.charCodeAt(0) < 0x20 ? "?" : c)).join("");
}
