import { randomBytes, randomFillSync } from "node:crypto";

/**
 * Random bytes from the CSPRNG, drawn in blocks of POOL_BYTES (as Node does for randomUUID):
 * every document id and every request id took its own `randomBytes` call, a native job of its
 * own, ~5% of the backend's main thread on single-document inserts. Each block is a new buffer,
 * never refilled, so a slice handed out never changes afterwards.
 */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let offset = 0;

export function pooledRandomBytes(n: number): Buffer {
  if (n > POOL_BYTES / 4) return randomBytes(n);
  if (offset + n > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
    offset = 0;
  }
  const out = pool.subarray(offset, offset + n);
  offset += n;
  return out;
}
