// What every HTTP route of the backend shares: the error type for 4xx answers, reading a bounded
// request body, writing a JSON answer, and random request ids.
import { randomFillSync } from "node:crypto";
import type http from "node:http";

/** An HTTP failure that is not a function error: it gets a 4xx status and a `{code, message}` body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The whole request body, at most `limit` bytes (else HttpError 413, sent after draining the rest). */
export function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // Past the limit, keep draining (but not storing) so the 413 can still be delivered.
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= limit) chunks.push(c);
    });
    req.on("end", () => {
      if (size > limit) reject(new HttpError(413, "RequestTooLarge", `Request body exceeds ${limit} bytes.`));
      else resolve(Buffer.concat(chunks));
    });
    req.on("error", reject);
  });
}

/** A JSON answer (bigints as numbers, as the CLI's admin endpoints expect). */
export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_k, v) => (typeof v === "bigint" ? Number(v) : v));
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

const ID_BYTES = 8;
const idPool = Buffer.alloc(ID_BYTES * 512);
let idOffset = idPool.length;

/**
 * A random 16-hex-digit id (request ids, function-log ids), as `randomBytes(8).toString("hex")`
 * gives but drawn from a pool refilled 512 ids at a time: a synchronous randomBytes call per id
 * cost ~15 µs, several times per request, on a cached query whose whole server side is ~200 µs.
 */
export function randomId(): string {
  if (idOffset === idPool.length) {
    randomFillSync(idPool);
    idOffset = 0;
  }
  idOffset += ID_BYTES;
  return idPool.toString("hex", idOffset - ID_BYTES, idOffset);
}
