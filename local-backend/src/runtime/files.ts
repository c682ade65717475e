// Over 400 lines: file storage: upload tokens, blobs, syscalls and metadata share its id and token rules.
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { open, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Value } from "convex/values";
import { decodeDocumentId } from "../values/ids.js";
import type { ExecContext } from "./context.js";
import { fileBlobRef, openFileBlob, type FileBlobRef } from "./fileBlob.js";
import type { CommitEvent, FunctionRunner } from "./runner.js";
import { UserError, type Transaction } from "./transaction.js";

/**
 * File storage (`ctx.storage`, the `_storage` system table, upload URLs).
 * Reference: ../shared/reference/convex-backend-facts.md §3.15; the syscall payloads are those
 * of convex@1.48.0 `src/server/impl/storage_impl.ts`.
 *
 * Blobs live in `<dataDir>/files/<sha256 hex>`: content-addressed, so identical content is stored
 * once. A blob is removed when the last `_storage` document naming its sha256 is deleted (tracked
 * from commit events, so deletes from mutations, actions and uploads are all covered) and no upload
 * or mutation that is about to reference it is still in flight ("pins").
 */

export const STORAGE_TABLE = "_storage";
const TOKEN_KEY_META = "storageUploadKey";
const TOKEN_TTL_MS = 60 * 60 * 1000;
// Convex sets no size limit on uploads through an upload URL (only HTTP action bodies stop at
// 20 MB; docs.convex.dev/file-storage/upload-files). The local backend keeps a cap so one request
// cannot fill the disk, set far above what the app accepts (imports take up to 100 MiB).
const DEFAULT_MAX_UPLOAD = 2 ** 30;

/** A request-level failure (bad token, too large, digest mismatch); the HTTP layer sends it as JSON. */
export class StorageError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** One `_storage` document as the runtime reads it. */
export interface StoredFile {
  id: string;
  /** base64, as stored in `_storage.sha256`. */
  sha256: string;
  sha256Hex: string;
  size: number;
  contentType: string | null;
}

export interface FileStorageOptions {
  dataDir: string;
  runner: FunctionRunner;
  /** The deployment URL (`CONVEX_CLOUD_URL`) upload and download URLs start with. */
  cloudUrl: () => string;
  /** Largest accepted upload through an upload URL, in bytes (default 20 MiB). */
  maxUploadBytes?: number;
  /** Clock for upload-token expiry (tests). */
  now?: () => number;
}

const b64url = (b: Buffer) => b.toString("base64url");

function hexOf(base64: string): string {
  return Buffer.from(base64, "base64").toString("hex");
}

/** Accepts a sha256 given as base64 (Convex's form) or hex; returns the raw 32 bytes or null. */
export function parseSha256(text: string): Buffer | null {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, "hex");
  const b = Buffer.from(t, "base64");
  return b.length === 32 && /^[A-Za-z0-9+/_-]{43}=?$/.test(t) ? b : null;
}

/**
 * Removes a system document inside a transaction. `Transaction.delete` refuses system tables
 * (user code must not delete them), so until Transaction grows a trusted `deleteSystem` this
 * writes the tombstone into the top pending layer the same way `insertSystem` writes documents.
 */
function deleteSystemDoc(tx: Transaction, id: string): void {
  const anyTx = tx as any;
  if (typeof anyTx.deleteSystem === "function") {
    anyTx.deleteSystem(id);
    return;
  }
  const layers = anyTx.layers as Array<Map<string, unknown>> | undefined;
  if (!Array.isArray(layers) || layers.length === 0) {
    throw new Error("local-backend: Transaction has neither deleteSystem() nor pending layers; cannot delete a _storage document.");
  }
  layers[layers.length - 1].set(id, null);
}

export class FileStorage {
  readonly filesDir: string;
  readonly tmpDir: string;
  readonly maxUploadBytes: number;
  private readonly runner: FunctionRunner;
  private readonly cloudUrl: () => string;
  private readonly now: () => number;
  private tableNumber = -1;
  private key: Buffer | null = null;
  /** `_storage` id → sha256 hex, for every committed document. */
  private docs = new Map<string, string>();
  /** sha256 hex → number of committed `_storage` documents naming it. */
  private refs = new Map<string, number>();
  /** sha256 hex → number of in-flight writers about to reference it. */
  private pins = new Map<string, number>();
  private unsubscribe: (() => void) | null = null;
  private tmpCounter = 0;

  constructor(opts: FileStorageOptions) {
    this.runner = opts.runner;
    this.cloudUrl = opts.cloudUrl;
    this.now = opts.now ?? Date.now;
    this.maxUploadBytes = opts.maxUploadBytes ?? DEFAULT_MAX_UPLOAD;
    this.filesDir = path.join(opts.dataDir, "files");
    this.tmpDir = path.join(this.filesDir, ".tmp");
  }

  /**
   * Registers the storage syscalls with the runner, starts tracking `_storage` commits, and
   * removes leftovers of a previous run (temp files, blobs no document references).
   */
  install(): void {
    if (this.unsubscribe) return;
    const number = this.runner.catalog.tableNumber(STORAGE_TABLE);
    if (number === undefined) throw new Error("local-backend: the _storage system table is missing from the catalog.");
    this.tableNumber = number;
    mkdirSync(this.filesDir, { recursive: true });
    rmSync(this.tmpDir, { recursive: true, force: true });
    mkdirSync(this.tmpDir, { recursive: true });

    for (const doc of this.runner.readSystemTable(STORAGE_TABLE)) {
      const hex = hexOf(doc.sha256 as string);
      this.docs.set(doc._id as string, hex);
      this.refs.set(hex, (this.refs.get(hex) ?? 0) + 1);
    }
    for (const name of readdirSync(this.filesDir)) {
      if (/^[0-9a-f]{64}$/.test(name) && !this.refs.has(name)) rmSync(path.join(this.filesDir, name), { force: true });
    }
    this.unsubscribe = this.runner.onCommit((e) => this.onCommit(e));

    this.runner.registerSyscalls({
      async: {
        "1.0/storageGenerateUploadUrl": async (ctx) => {
          if (ctx.kind === "query") throw new UserError("storage.generateUploadUrl is not available in queries.");
          return JSON.stringify(this.generateUploadUrl());
        },
        "1.0/storageGetUrl": async (ctx, args) => {
          const file = this.read(ctx, this.parseId("getUrl", args?.storageId));
          return JSON.stringify(file ? this.urlFor(file.id) : null);
        },
        "1.0/storageGetMetadata": async (ctx, args) => {
          const file = this.read(ctx, this.parseId("getMetadata", args?.storageId));
          // Convex answers getMetadata with a hex digest (unlike `_storage.sha256`, which is base64).
          return JSON.stringify(
            file ? { storageId: file.id, sha256: file.sha256Hex, size: file.size, contentType: file.contentType } : null,
          );
        },
        "1.0/storageDelete": async (ctx, args) => {
          const id = this.parseId("delete", args?.storageId);
          await this.deleteFile(ctx, id);
          return "null";
        },
        "1.0/storageStore": async (ctx, args) => {
          if (typeof args?.blob !== "string") throw new UserError("storage.store: missing blob.");
          const bytes = Buffer.from(args.blob, "base64");
          const id = await this.storeBytes(ctx, bytes, args.contentType || null, args.sha256);
          return JSON.stringify(id);
        },
        "1.0/storageGet": async (ctx, args) => {
          const id = this.parseId("get", args?.storageId);
          const found = await this.readBytes(ctx, id);
          return JSON.stringify(found ? { blob: found.bytes.toString("base64"), contentType: found.file.contentType } : null);
        },
      },
      js: {
        "storage/storeBlob": async (ctx, args) => {
          const blob = args?.blob;
          if (!(blob instanceof Blob)) throw new UserError("store() expects a Blob.");
          const bytes = Buffer.from(await blob.arrayBuffer());
          return this.storeBytes(ctx, bytes, blob.type || null, args?.options?.sha256);
        },
        "storage/getBlob": async (ctx, args) => {
          const id = this.parseId("get", args?.storageId);
          return this.openBlob(ctx, id);
        },
      },
    });
  }

  /** Stops tracking commits (the syscalls stay registered; they are harmless without callers). */
  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  // ---- paths and URLs -----------------------------------------------------------------------

  blobPath(sha256Hex: string): string {
    return path.join(this.filesDir, sha256Hex);
  }

  urlFor(id: string): string {
    return `${this.cloudUrl()}/api/storage/${id}`;
  }

  // ---- upload tokens -------------------------------------------------------------------------

  private hmacKey(): Buffer {
    if (this.key) return this.key;
    const store = this.runner.store;
    let hex = store.getMeta(TOKEN_KEY_META);
    if (!hex) {
      hex = randomBytes(32).toString("hex");
      store.setMeta(TOKEN_KEY_META, hex);
    }
    this.key = Buffer.from(hex, "hex");
    return this.key;
  }

  /** A signed token, valid for one hour, authorizing one or more uploads (as in Convex). */
  generateUploadToken(): string {
    const payload = b64url(Buffer.from(JSON.stringify({ v: 1, exp: this.now() + TOKEN_TTL_MS, n: b64url(randomBytes(9)) })));
    const sig = b64url(createHmac("sha256", this.hmacKey()).update(payload).digest());
    return `${payload}.${sig}`;
  }

  generateUploadUrl(): string {
    return `${this.cloudUrl()}/api/storage/upload?token=${this.generateUploadToken()}`;
  }

  /** Throws a StorageError (400 malformed, 401 bad signature or expired) unless the token is valid. */
  verifyUploadToken(token: string | null): void {
    if (!token) throw new StorageError(400, "MissingStorageToken", "The upload URL has no `token` parameter: use the URL from storage.generateUploadUrl() as is.");
    const dot = token.indexOf(".");
    if (dot <= 0 || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) {
      throw new StorageError(400, "InvalidStorageToken", "The upload token is malformed: use the URL from storage.generateUploadUrl() as is.");
    }
    const payload = token.slice(0, dot);
    const sig = Buffer.from(token.slice(dot + 1), "base64url");
    const expected = createHmac("sha256", this.hmacKey()).update(payload).digest();
    if (sig.length !== expected.length || !timingSafeEqual(sig, expected)) {
      throw new StorageError(401, "InvalidStorageToken", "The upload token was not issued by this deployment (or was altered).");
    }
    let exp: unknown;
    try {
      exp = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")).exp;
    } catch {
      exp = undefined;
    }
    if (typeof exp !== "number") throw new StorageError(400, "InvalidStorageToken", "The upload token is malformed.");
    if (this.now() > exp) {
      throw new StorageError(401, "StorageTokenExpired", "The upload URL has expired (they are valid for 1 hour): generate a new one with storage.generateUploadUrl().");
    }
  }

  // ---- reading -------------------------------------------------------------------------------

  private parseId(op: string, raw: unknown): string {
    if (typeof raw !== "string") {
      throw new UserError(`Invalid argument \`storageId\` for \`storage.${op}\`: expected an Id<"_storage"> string.`);
    }
    const decoded = decodeDocumentId(raw);
    if (!decoded || decoded.tableNumber !== this.tableNumber) {
      throw new UserError(`Invalid argument \`storageId\` for \`storage.${op}\`: "${raw}" is not an Id<"_storage">.`);
    }
    return raw;
  }

  private static toFile(id: string, value: Record<string, Value>): StoredFile {
    const sha256 = value.sha256 as string;
    return {
      id,
      sha256,
      sha256Hex: hexOf(sha256),
      size: value.size as number,
      contentType: typeof value.contentType === "string" ? value.contentType : null,
    };
  }

  /** The file as the calling function sees it: through its transaction (queries and mutations). */
  private read(ctx: ExecContext, id: string): StoredFile | null {
    if (ctx.tx) {
      const doc = ctx.tx.get(id, ctx.staleReads);
      return doc ? FileStorage.toFile(id, doc.value) : null;
    }
    return this.lookup(id);
  }

  /** The committed `_storage` document for an id (any string), or null. */
  lookup(id: string): StoredFile | null {
    const decoded = decodeDocumentId(id);
    if (!decoded || decoded.tableNumber !== this.tableNumber) return null;
    const doc = this.runner.readSystemDocument(id);
    return doc ? FileStorage.toFile(id, doc) : null;
  }

  private async readBytes(ctx: ExecContext, id: string): Promise<{ file: StoredFile; bytes: Buffer<ArrayBuffer> } | null> {
    const file = this.read(ctx, id);
    if (!file) return null;
    try {
      return { file, bytes: await readFile(this.blobPath(file.sha256Hex)) };
    } catch (e: any) {
      if (e?.code === "ENOENT") return null; // deleted meanwhile
      throw e;
    }
  }

  /**
   * `storage.get`'s Blob backed by the file (fileBlob.ts), the file pinned until the run ends; an
   * isolate run gets the reference and opens it in its worker. Without a run to end (no `onEnd`),
   * a copy of the bytes, as before.
   */
  private async openBlob(ctx: ExecContext, id: string): Promise<Blob | FileBlobRef | null> {
    const file = this.read(ctx, id);
    if (!file) return null;
    const hex = file.sha256Hex;
    const type = file.contentType ?? "";
    if (!ctx.onEnd) {
      const found = await this.readBytes(ctx, id);
      return found ? new Blob([found.bytes], { type }) : null;
    }
    this.pin(hex);
    ctx.onEnd.push(() => this.unpin(hex));
    if (!existsSync(this.blobPath(hex))) return null; // deleted before the pin
    const ref = fileBlobRef(this.blobPath(hex), type);
    return ctx.isolate ? ref : openFileBlob(ref);
  }

  // ---- writing -------------------------------------------------------------------------------

  private pin(hex: string) {
    this.pins.set(hex, (this.pins.get(hex) ?? 0) + 1);
  }

  private unpin(hex: string) {
    const n = (this.pins.get(hex) ?? 1) - 1;
    if (n > 0) this.pins.set(hex, n);
    else this.pins.delete(hex);
    this.removeIfUnused(hex);
  }

  /** Synchronous on purpose: no upload can slip in between the check and the unlink. */
  private removeIfUnused(hex: string) {
    if (!this.refs.get(hex) && !this.pins.get(hex)) rmSync(this.blobPath(hex), { force: true });
  }

  private onCommit(e: CommitEvent) {
    for (const w of e.writes) {
      if (w.tableName !== STORAGE_TABLE) continue;
      if (w.json === null) {
        const hex = this.docs.get(w.id);
        if (hex === undefined) continue;
        this.docs.delete(w.id);
        const n = (this.refs.get(hex) ?? 1) - 1;
        if (n > 0) this.refs.set(hex, n);
        else this.refs.delete(hex);
        this.removeIfUnused(hex);
      } else if (!this.docs.has(w.id)) {
        const hex = hexOf(JSON.parse(w.json).sha256);
        this.docs.set(w.id, hex);
        this.refs.set(hex, (this.refs.get(hex) ?? 0) + 1);
      }
    }
  }

  private tmpPath(): string {
    return path.join(this.tmpDir, `${process.pid}-${++this.tmpCounter}-${randomBytes(4).toString("hex")}`);
  }

  /** Moves a finished temp file into place, or drops it when the blob already exists. Call pinned. */
  private async placeBlob(tmp: string, hex: string): Promise<void> {
    const dest = this.blobPath(hex);
    if (existsSync(dest)) await rm(tmp, { force: true });
    else await rename(tmp, dest);
  }

  private checkDigest(expected: Buffer | string | null | undefined, actual: Buffer) {
    if (expected === undefined || expected === null || expected === "") return;
    const want = typeof expected === "string" ? parseSha256(expected) : expected;
    if (!want) throw new StorageError(400, "InvalidSha256", `The expected sha256 "${String(expected)}" is neither base64 nor hex of 32 bytes.`);
    if (!want.equals(actual)) {
      throw new StorageError(400, "Sha256Mismatch", `Sha256 mismatch. Expected: ${want.toString("base64")} Actual: ${actual.toString("base64")}`);
    }
  }

  /**
   * Creates the `_storage` document for a blob already on disk and pinned. From a mutation the
   * document joins the mutation's own transaction (it exists only if the mutation commits);
   * otherwise it commits on its own.
   */
  private async createDocument(ctx: ExecContext | null, hex: string, size: number, contentType: string | null): Promise<string> {
    const doc: Record<string, Value> = { sha256: Buffer.from(hex, "hex").toString("base64"), size };
    if (contentType) doc.contentType = contentType;
    if (ctx?.tx && ctx.kind === "mutation") {
      if (ctx.readOnly) throw new UserError("storage.store is not allowed in a query.");
      const id = ctx.tx.insertSystem(STORAGE_TABLE, doc);
      // Unpinned when this run of the mutation ends: the document then exists or never will.
      if (ctx.onEnd) ctx.onEnd.push(() => this.unpin(hex));
      else this.unpin(hex);
      return id;
    }
    try {
      return await this.runner.transact((tx) => tx.insertSystem(STORAGE_TABLE, doc));
    } finally {
      this.unpin(hex);
    }
  }

  /**
   * Puts a blob on disk for a snapshot import (runtime/snapshot.ts), which then writes the
   * `_storage` documents naming it in its own commit. The blob stays pinned until `release()`,
   * called once that commit landed or failed (an unreferenced blob is then removed).
   */
  async putBlobForImport(bytes: Buffer): Promise<{ sha256: string; release: () => void }> {
    const digest = createHash("sha256").update(bytes).digest();
    const hex = digest.toString("hex");
    await this.keepBlob(hex, bytes);
    return { sha256: digest.toString("base64"), release: () => this.unpin(hex) };
  }

  /** Pins blob `hex` and writes `bytes` there unless it exists (content-addressed); unpinned on failure. */
  private async keepBlob(hex: string, bytes: Buffer): Promise<void> {
    this.pin(hex);
    try {
      if (!existsSync(this.blobPath(hex))) {
        const tmp = this.tmpPath();
        await writeFile(tmp, bytes);
        await this.placeBlob(tmp, hex);
      }
    } catch (e) {
      this.unpin(hex);
      throw e;
    }
  }

  /** `ctx.storage.store(blob)` in actions and (since convex 1.48) mutations. */
  async storeBytes(ctx: ExecContext | null, bytes: Buffer, contentType: string | null, expectedSha256?: string): Promise<string> {
    if (ctx?.kind === "query") throw new UserError("storage.store is not available in queries.");
    const digest = createHash("sha256").update(bytes).digest();
    this.checkDigest(expectedSha256, digest);
    const hex = digest.toString("hex");
    await this.keepBlob(hex, bytes);
    return this.createDocument(ctx, hex, bytes.length, contentType);
  }

  /** `ctx.storage.delete(id)`: in a mutation through its transaction, in an action on its own. */
  async deleteFile(ctx: ExecContext, id: string): Promise<void> {
    const notFound = () => new UserError(`storage id ${id} not found`);
    if (ctx.tx) {
      if (ctx.readOnly) throw new UserError("storage.delete is not allowed in a query.");
      if (!ctx.tx.get(id)) throw notFound();
      deleteSystemDoc(ctx.tx, id);
      return;
    }
    await this.runner.transact((tx) => {
      if (!tx.get(id)) throw notFound();
      deleteSystemDoc(tx, id);
    });
  }

  /**
   * Streams an upload body to a temp file while hashing it, then stores it like `store()`.
   * Over `maxUploadBytes` it keeps draining the body (so the client can read the answer) but
   * writes nothing and throws a 413 StorageError. `expectedSha256` comes from a `Digest` header.
   */
  async storeStream(
    body: NodeJS.ReadableStream & { pause(): unknown; resume(): unknown },
    opts: { contentType: string | null; expectedSha256?: Buffer | null },
  ): Promise<string> {
    const limit = this.maxUploadBytes;
    const tmp = this.tmpPath();
    const fh = await open(tmp, "w");
    const hash = createHash("sha256");
    let size = 0;
    let tooLarge = false;
    let drained = 0;
    try {
      await new Promise<void>((resolve, reject) => {
        let writing = Promise.resolve();
        const fail = (e: unknown) => {
          body.removeAllListeners("data");
          reject(e);
        };
        body.on("data", (chunk: Buffer) => {
          if (tooLarge) {
            drained += chunk.length;
            // Stop reading absurd bodies outright; the client then sees a reset instead of the 413.
            if (drained > Math.max(limit * 4, 256 * 2 ** 20)) (body as any).destroy?.();
            return;
          }
          size += chunk.length;
          if (size > limit) {
            tooLarge = true;
            return;
          }
          hash.update(chunk);
          body.pause();
          writing = writing.then(() => fh.write(chunk)).then(() => void body.resume(), fail);
        });
        let ended = false;
        body.on("end", () => {
          ended = true;
          writing.then(() => resolve(), reject);
        });
        body.on("error", fail);
        body.on("close", () => {
          if (ended) return;
          fail(tooLarge ? this.tooLarge() : new StorageError(400, "UploadAborted", "The client closed the connection before the upload finished."));
        });
      });
    } catch (e) {
      await fh.close().catch(() => undefined);
      await rm(tmp, { force: true });
      throw e;
    }
    await fh.close();
    if (tooLarge) {
      await rm(tmp, { force: true });
      throw this.tooLarge();
    }
    const digest = hash.digest();
    try {
      this.checkDigest(opts.expectedSha256 ?? null, digest);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    const hex = digest.toString("hex");
    this.pin(hex);
    try {
      await this.placeBlob(tmp, hex);
    } catch (e) {
      await rm(tmp, { force: true });
      this.unpin(hex);
      throw e;
    }
    return this.createDocument(null, hex, size, opts.contentType);
  }

  /** The 413 answer for an upload over `maxUploadBytes`. */
  tooLarge(): StorageError {
    const limit = this.maxUploadBytes;
    return new StorageError(
      413,
      "FileTooLarge",
      `The uploaded file is larger than this backend's upload limit of ${limit} bytes (${(limit / 2 ** 20).toFixed(1)} MiB). Nothing was stored.`,
    );
  }

  /** Counts for tests and diagnostics. */
  stats(): { documents: number; blobs: number } {
    return { documents: this.docs.size, blobs: this.refs.size };
  }
}
