import type http from "node:http";
import { open, type FileHandle } from "node:fs/promises";
import { decodeDocumentId } from "../values/ids.js";
import { FileStorage, StorageError } from "../runtime/files.js";

/**
 * Convex's file-storage HTTP endpoints (crates/local_backend/src/storage.rs):
 * - `POST /api/storage/upload?token=…` stores the body and answers `{"storageId": "…"}`;
 * - `GET|HEAD /api/storage/<Id<"_storage">>` serves the bytes (single Range supported).
 * Reference: ../shared/reference/convex-backend-facts.md §3.15.
 */

/** Storage GETs are immutable, so browsers may keep them (30 days, as Convex does). */
const CACHE_CONTROL = "private, max-age=2592000, immutable";
const PREFIX = "/api/storage/";

/** `type/subtype` with optional parameters (RFC 9110 media-type); anything else is served as octets. */
const MEDIA_TYPE =
  /^([a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+)(\s*;\s*[a-z0-9!#$&^_.+-]+=([a-z0-9!#$&^_.+-]+|"[^"\\\r\n]*"))*$/i;
/** Types a browser shows passively (no script, no document): raster images, audio, video, plain text. */
const PASSIVE_TYPE =
  /^(image\/(png|jpeg|gif|webp|avif|apng|bmp|tiff|x-icon|vnd\.microsoft\.icon)|audio\/[^;]+|video\/[^;]+|text\/plain)$/;
/**
 * Everything else (SVG, HTML, XML, PDF, unknown) may run script when opened by its URL, on the
 * backend's origin: it is sandboxed (no script, opaque origin, no subresources) and, unless it is
 * an image, downloaded rather than shown. `<img>` rendering ignores both, so SVG images still work.
 */
const ACTIVE_CSP = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'";

/** Headers that keep an uploaded file inert when opened directly (issue #12 item 9). */
export function safeContentHeaders(stored: string | null): http.OutgoingHttpHeaders {
  const match = stored ? MEDIA_TYPE.exec(stored.trim()) : null;
  const contentType = match ? stored!.trim() : "application/octet-stream";
  const essence = match ? match[1].toLowerCase() : contentType;
  const headers: http.OutgoingHttpHeaders = { "Content-Type": contentType, "X-Content-Type-Options": "nosniff" };
  if (!PASSIVE_TYPE.test(essence)) {
    headers["Content-Security-Policy"] = ACTIVE_CSP;
    if (!essence.startsWith("image/")) headers["Content-Disposition"] = "attachment";
  }
  return headers;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown) {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

/** `Digest: sha-256=<base64>` (other algorithms may be listed too); null when absent. */
function parseDigestHeader(header: string | string[] | undefined): Buffer | null {
  if (header === undefined) return null;
  const text = Array.isArray(header) ? header.join(",") : header;
  for (const part of text.split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim().toLowerCase() !== "sha-256") continue;
    const value = part.slice(eq + 1).trim();
    const bytes = Buffer.from(value, "base64");
    if (bytes.length !== 32 || !/^[A-Za-z0-9+/]{43}=$/.test(value)) {
      throw new StorageError(400, "BadHeader", `Bad header for Digest: "sha-256=${value}" is not a base64 SHA-256 digest.`);
    }
    return bytes;
  }
  throw new StorageError(400, "BadHeader", "Bad header for Digest: only `sha-256=<base64>` is supported.");
}

type RangeResult = { start: number; end: number } | "unsatisfiable" | null;

/**
 * One `bytes=` range against a file of `size` bytes. Null means "ignore the header" (not a
 * bytes range, or syntactically invalid, as RFC 9110 asks); several ranges are refused as
 * Convex does (it only serves a single range).
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (!header) return null;
  const m = /^\s*bytes\s*=\s*(.+)$/i.exec(header);
  if (!m) return null;
  const specs = m[1].split(",").map((s) => s.trim()).filter(Boolean);
  if (specs.length !== 1) return specs.length === 0 ? null : "unsatisfiable";
  const r = /^(\d*)-(\d*)$/.exec(specs[0]);
  if (!r || (r[1] === "" && r[2] === "")) return null;
  if (r[1] === "") {
    const suffix = Number(r[2]);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(r[1]);
  const end = r[2] === "" ? size - 1 : Number(r[2]);
  if (end < start) return null;
  if (start >= size) return "unsatisfiable";
  return { start, end: Math.min(end, size - 1) };
}

async function handleUpload(files: FileStorage, req: http.IncomingMessage, res: http.ServerResponse, url: URL) {
  if (req.method !== "POST") {
    throw new StorageError(405, "MethodNotAllowed", `${req.method} is not allowed on /api/storage/upload: POST the file body.`);
  }
  files.verifyUploadToken(url.searchParams.get("token"));
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > files.maxUploadBytes) throw files.tooLarge();
  const expectedSha256 = parseDigestHeader(req.headers.digest);
  const contentType = req.headers["content-type"] || null;
  const storageId = await files.storeStream(req, { contentType, expectedSha256 });
  sendJson(res, 200, { storageId });
}

async function handleDownload(files: FileStorage, req: http.IncomingMessage, res: http.ServerResponse, id: string) {
  if (req.method !== "GET" && req.method !== "HEAD") {
    throw new StorageError(405, "MethodNotAllowed", `${req.method} is not allowed on ${PREFIX}<storageId>: use GET.`);
  }
  if (!decodeDocumentId(id)) {
    throw new StorageError(
      400,
      "InvalidStoragePath",
      `Invalid storage path: "${id}". Please use \`storage.getUrl()\` to generate a valid URL to retrieve files.`,
    );
  }
  const notFound = () => new StorageError(404, "FileNotFound", `File not found: ${id} does not exist or was deleted.`);
  const file = files.lookup(id);
  if (!file) throw notFound();
  let fh: FileHandle;
  try {
    fh = await open(files.blobPath(file.sha256Hex), "r");
  } catch (e: any) {
    if (e?.code === "ENOENT") throw notFound(); // deleted between the lookup and the open
    throw e;
  }
  let handedOff = false;
  try {
    const size = file.size;
    const etag = `"${file.sha256Hex}"`;
    const headers: http.OutgoingHttpHeaders = {
      ...safeContentHeaders(file.contentType),
      "Cache-Control": CACHE_CONTROL,
      ETag: etag,
      Digest: `sha-256=${file.sha256}`,
      "Accept-Ranges": "bytes",
    };
    const inm = req.headers["if-none-match"];
    if (inm && (inm.trim() === "*" || inm.split(",").some((t) => t.trim().replace(/^W\//, "") === etag))) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    const range = parseRange(req.headers.range, size);
    if (range === "unsatisfiable") {
      const body = JSON.stringify({ code: "RangeNotSatisfiable", message: `The requested range is not satisfiable for a file of ${size} bytes.` });
      res.writeHead(416, {
        "Content-Range": `bytes */${size}`,
        "Content-Type": "application/json",
        "Content-Length": Buffer.byteLength(body),
      });
      res.end(body);
      return;
    }
    const start = range ? range.start : 0;
    const end = range ? range.end : size - 1;
    const length = size === 0 ? 0 : end - start + 1;
    headers["Content-Length"] = length;
    if (range) headers["Content-Range"] = `bytes ${start}-${end}/${size}`;
    res.writeHead(range ? 206 : 200, headers);
    if (req.method === "HEAD" || length === 0) {
      res.end();
      return;
    }
    const stream = fh.createReadStream({ start, end, autoClose: true });
    handedOff = true;
    stream.on("error", () => res.destroy());
    res.on("close", () => stream.destroy());
    stream.pipe(res);
  } finally {
    if (!handedOff) await fh.close().catch(() => undefined);
  }
}

/**
 * Serves `/api/storage/*`. Returns false (without touching `res`) for any other path, true once
 * the request is answered; it never rejects: failures become `{code, message}` JSON responses.
 */
export async function handleStorageRequest(
  files: FileStorage,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
): Promise<boolean> {
  const p = url.pathname;
  if (p !== "/api/storage" && !p.startsWith(PREFIX)) return false;
  try {
    if (p === "/api/storage/upload") {
      await handleUpload(files, req, res, url);
    } else {
      let id: string;
      try {
        id = decodeURIComponent(p.slice(PREFIX.length));
      } catch {
        throw new StorageError(400, "InvalidStoragePath", `Invalid storage path: "${p}".`);
      }
      if (!id || id.includes("/")) throw new StorageError(404, "NotFound", `No such endpoint: ${p}`);
      await handleDownload(files, req, res, id);
    }
  } catch (e) {
    if (e instanceof StorageError) {
      sendJson(res, e.status, { code: e.code, message: e.message });
    } else {
      console.error("[local-backend] file storage error", e);
      sendJson(res, 500, { code: "InternalServerError", message: "Internal server error." });
    }
  }
  return true;
}
