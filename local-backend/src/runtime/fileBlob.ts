import { openAsBlob } from "node:fs";

/**
 * `ctx.storage.get()`'s Blob, backed by the stored file instead of a copy of its bytes (a 43 MB
 * import upload was held twice in the main thread and twice in the action's worker). A file-backed
 * Blob cannot be posted to a worker, so an isolate run gets this reference and opens the file
 * itself (worker.ts). Files are content-addressed and never rewritten; files.ts pins the file until
 * the run ends, so a `storage.delete` meanwhile cannot take it from under the Blob.
 */
export interface FileBlobRef {
  readonly localBackendFileBlob: true;
  readonly path: string;
  readonly type: string;
}

export function fileBlobRef(path: string, type: string): FileBlobRef {
  return { localBackendFileBlob: true, path, type };
}

export function isFileBlobRef(v: unknown): v is FileBlobRef {
  return typeof v === "object" && v !== null && (v as FileBlobRef).localBackendFileBlob === true && typeof (v as FileBlobRef).path === "string";
}

/** The Blob for a reference; any other syscall answer is returned as it is. */
export async function openFileBlob<T>(v: T): Promise<T | Blob> {
  return isFileBlobRef(v) ? openAsBlob(v.path, { type: v.type }) : v;
}
