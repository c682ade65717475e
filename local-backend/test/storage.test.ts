// File storage end to end: upload URLs, downloads (headers, Range), `_storage` documents,
// content-addressed blobs with reference-safe deletion, limits, tokens, and store/get from actions
// and (convex 1.48) mutations. Reference: ../shared/reference/convex-backend-facts.md §3.15.
//
// File storage through the backend's own wiring: upload URLs and file URLs on backend.url.
import { ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { LocalBackend } from "../src/backend.js";
import { FileStorage, StorageError } from "../src/runtime/files.js";

const FIXTURE = "local-backend/test/fixtures-storage/files/convex";
const LIMIT = 64 * 1024;

const api = anyApi.files;
let dataDir: string;
let backend: LocalBackend;
let files: FileStorage;
let storageUrl = "";
let client: ConvexHttpClient;

async function startBackend(port = 0) {
  backend = await LocalBackend.start({
    dataDir,
    convexDir: FIXTURE,
    port,
    host: "127.0.0.1",
    scheduler: false,
    maxUploadBytes: LIMIT,
  });
  files = backend.files;
  storageUrl = backend.url;
  client = new ConvexHttpClient(backend.url, { logger: false });
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "lb-storage-"));
  await startBackend();
});

afterAll(async () => {
  await backend?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const sha = (b: Buffer | string) => createHash("sha256").update(b).digest();
const blobFiles = () => readdirSync(files.filesDir).filter((n) => /^[0-9a-f]{64}$/.test(n));

async function upload(body: Buffer | string, headers: Record<string, string> = {}): Promise<string> {
  const url: string = await client.mutation(api.generateUploadUrl, {});
  const res = await fetch(url, { method: "POST", body: typeof body === "string" ? body : new Uint8Array(body), headers });
  const json = await res.json();
  expect(res.status, JSON.stringify(json)).toBe(200);
  expect(Object.keys(json)).toEqual(["storageId"]);
  return json.storageId;
}

async function waitFor(cond: () => boolean, ms = 3000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("upload URL → storageId → getUrl → GET", () => {
  const content = Buffer.from("0123456789");
  let id: string;
  let fileUrl: string;

  beforeAll(async () => {
    id = await upload(content, { "Content-Type": "text/plain" });
    fileUrl = await client.query(api.getUrl, { id });
  });

  test("generateUploadUrl (mutation and action) points at /api/storage/upload with a token", async () => {
    const fromMutation: string = await client.mutation(api.generateUploadUrl, {});
    const fromAction: string = await client.action(api.generateUploadUrlInAction, {});
    for (const u of [fromMutation, fromAction]) {
      expect(u.startsWith(`${storageUrl}/api/storage/upload?token=`)).toBe(true);
      expect(() => files.verifyUploadToken(new URL(u).searchParams.get("token"))).not.toThrow();
    }
  });

  test("getUrl is the deployment URL plus /api/storage/<id>", () => {
    expect(fileUrl).toBe(`${storageUrl}/api/storage/${id}`);
  });

  test("GET serves the bytes with Convex's headers", async () => {
    const res = await fetch(fileUrl);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(content);
    expect(res.headers.get("content-type")).toBe("text/plain");
    expect(res.headers.get("content-length")).toBe("10");
    expect(res.headers.get("cache-control")).toBe("private, max-age=2592000, immutable");
    expect(res.headers.get("etag")).toBe(`"${sha(content).toString("hex")}"`);
    expect(res.headers.get("digest")).toBe(`sha-256=${sha(content).toString("base64")}`);
    expect(res.headers.get("accept-ranges")).toBe("bytes");
  });

  test("HEAD answers the headers without a body", async () => {
    const res = await fetch(fileUrl, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe("10");
    expect((await res.arrayBuffer()).byteLength).toBe(0);
  });

  test("If-None-Match with the ETag answers 304", async () => {
    const etag = (await fetch(fileUrl, { method: "HEAD" })).headers.get("etag")!;
    const res = await fetch(fileUrl, { headers: { "If-None-Match": etag } });
    expect(res.status).toBe(304);
  });

  test("Range: single ranges answer 206, unsatisfiable ones 416", async () => {
    const r1 = await fetch(fileUrl, { headers: { Range: "bytes=2-5" } });
    expect(r1.status).toBe(206);
    expect(await r1.text()).toBe("2345");
    expect(r1.headers.get("content-range")).toBe("bytes 2-5/10");
    expect(r1.headers.get("content-length")).toBe("4");

    const suffix = await fetch(fileUrl, { headers: { Range: "bytes=-3" } });
    expect(suffix.status).toBe(206);
    expect(await suffix.text()).toBe("789");

    const open = await fetch(fileUrl, { headers: { Range: "bytes=7-" } });
    expect(await open.text()).toBe("789");
    expect(open.headers.get("content-range")).toBe("bytes 7-9/10");

    const clamped = await fetch(fileUrl, { headers: { Range: "bytes=8-100" } });
    expect(clamped.status).toBe(206);
    expect(await clamped.text()).toBe("89");

    const beyond = await fetch(fileUrl, { headers: { Range: "bytes=10-20" } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get("content-range")).toBe("bytes */10");
    await beyond.arrayBuffer();

    const multi = await fetch(fileUrl, { headers: { Range: "bytes=0-1,4-5" } });
    expect(multi.status).toBe(416);
    await multi.arrayBuffer();

    // Not a bytes range (or malformed): ignored, the whole file is served.
    const ignored = await fetch(fileUrl, { headers: { Range: "items=0-1" } });
    expect(ignored.status).toBe(200);
    expect(await ignored.text()).toBe("0123456789");
  });

  test("getMetadata and db.system.get show the _storage document", async () => {
    expect(await client.query(api.getMetadata, { id })).toEqual({
      storageId: id,
      sha256: sha(content).toString("hex"),
      size: 10,
      contentType: "text/plain",
    });
    const doc = await client.query(api.systemGet, { id });
    expect(doc).toEqual({
      _id: id,
      _creationTime: expect.any(Number),
      sha256: sha(content).toString("base64"),
      size: 10,
      contentType: "text/plain",
    });
  });

  test("an upload without Content-Type has no contentType and is served as octet-stream", async () => {
    const bare = await upload(Buffer.from([1, 2, 3]));
    const doc = await client.query(api.systemGet, { id: bare });
    expect(doc).not.toHaveProperty("contentType");
    expect((await client.query(api.getMetadata, { id: bare })).contentType).toBeNull();
    const res = await fetch(await client.query(api.getUrl, { id: bare }));
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expect([...Buffer.from(await res.arrayBuffer())]).toEqual([1, 2, 3]);
  });

  test("a correct Digest header is accepted, a wrong one refused with 400", async () => {
    const body = Buffer.from("digest me");
    await upload(body, { Digest: `sha-256=${sha(body).toString("base64")}` });
    const url: string = await client.mutation(api.generateUploadUrl, {});
    const before = (await client.query(api.list, {})).length;
    const res = await fetch(url, { method: "POST", body, headers: { Digest: `sha-256=${sha("other").toString("base64")}` } });
    expect(res.status).toBe(400);
    expect((await res.json()).code).toBe("Sha256Mismatch");
    expect((await client.query(api.list, {})).length).toBe(before);
  });
});

describe("deletion and deduplication", () => {
  test("identical content is stored once on disk; the blob goes when its last document goes", async () => {
    const body = Buffer.from(`same bytes ${Date.now()}`);
    const hex = sha(body).toString("hex");
    const a = await upload(body, { "Content-Type": "text/plain" });
    const b = await upload(body, { "Content-Type": "application/x-other" });
    expect(a).not.toBe(b);
    expect(blobFiles().filter((n) => n === hex)).toHaveLength(1);
    // Each document keeps its own content type.
    const urlB = await client.query(api.getUrl, { id: b });
    expect((await fetch(urlB)).headers.get("content-type")).toBe("application/x-other");

    const urlA = await client.query(api.getUrl, { id: a });
    await client.mutation(api.remove, { id: a });
    expect((await fetch(urlA)).status).toBe(404);
    expect(existsSync(files.blobPath(hex))).toBe(true);
    expect(await (await fetch(urlB)).text()).toBe(body.toString());

    await client.action(api.removeInAction, { id: b });
    const gone = await fetch(urlB);
    expect(gone.status).toBe(404);
    expect((await gone.json()).code).toBe("FileNotFound");
    expect(existsSync(files.blobPath(hex))).toBe(false);
    expect(await client.query(api.getUrl, { id: b })).toBeNull();
    expect(await client.query(api.getMetadata, { id: b })).toBeNull();
    expect(await client.query(api.systemGet, { id: b })).toBeNull();
  });

  test("a delete in a mutation that throws is rolled back", async () => {
    const id = await upload("keep me");
    await expect(client.mutation(api.removeThenThrow, { id })).rejects.toThrow(/rolled back on purpose/);
    const url = await client.query(api.getUrl, { id });
    expect(await (await fetch(url)).text()).toBe("keep me");
  });

  test("deleting a missing file is an error", async () => {
    const id = await upload("delete twice");
    await client.mutation(api.remove, { id });
    await expect(client.mutation(api.remove, { id })).rejects.toThrow(/storage id .* not found/);
    await expect(client.action(api.removeInAction, { id })).rejects.toThrow(/storage id .* not found/);
  });
});

describe("limits and tokens", () => {
  test("an upload over the limit answers 413 and stores nothing (Content-Length known)", async () => {
    const before = (await client.query(api.list, {})).length;
    const blobsBefore = blobFiles().length;
    const url: string = await client.mutation(api.generateUploadUrl, {});
    const res = await fetch(url, { method: "POST", body: Buffer.alloc(LIMIT + 1, 7) });
    expect(res.status).toBe(413);
    const json = await res.json();
    expect(json.code).toBe("FileTooLarge");
    expect(json.message).toMatch(/upload limit of 65536 bytes/);
    expect((await client.query(api.list, {})).length).toBe(before);
    expect(blobFiles().length).toBe(blobsBefore);
    expect(readdirSync(files.tmpDir)).toEqual([]);
  });

  test("a body far over the limit still gets its 413 (the rest of the body is drained)", async () => {
    const url: string = await client.mutation(api.generateUploadUrl, {});
    const res = await fetch(url, { method: "POST", body: Buffer.alloc(8 * 2 ** 20, 1) });
    expect(res.status).toBe(413);
    expect((await res.json()).code).toBe("FileTooLarge");
    // The storage server keeps answering.
    const after = await fetch(`${storageUrl}/api/storage/not-an-id`);
    expect(after.status).toBe(400);
    await after.arrayBuffer();
  });

  test("an upload over the limit answers 413 and stores nothing (chunked body)", async () => {
    const before = (await client.query(api.list, {})).length;
    const blobsBefore = blobFiles().length;
    const url: string = await client.mutation(api.generateUploadUrl, {});
    const chunk = new Uint8Array(16 * 1024).fill(3);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= LIMIT * 2) controller.close();
        else {
          sent += chunk.length;
          controller.enqueue(chunk);
        }
      },
    });
    const res = await fetch(url, { method: "POST", body, duplex: "half" } as RequestInit);
    expect(res.status).toBe(413);
    expect((await res.json()).code).toBe("FileTooLarge");
    expect((await client.query(api.list, {})).length).toBe(before);
    expect(blobFiles().length).toBe(blobsBefore);
    expect(readdirSync(files.tmpDir)).toEqual([]);
  });

  test("a chunked upload under the limit is stored", async () => {
    const url: string = await client.mutation(api.generateUploadUrl, {});
    const parts = ["stream", "ed ", "upload"];
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const p = parts.shift();
        if (p === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(p));
      },
    });
    const res = await fetch(url, { method: "POST", body, duplex: "half", headers: { "Content-Type": "text/plain" } } as RequestInit);
    expect(res.status).toBe(200);
    const { storageId } = await res.json();
    expect(await (await fetch(await client.query(api.getUrl, { id: storageId }))).text()).toBe("streamed upload");
  });

  test("bad, missing and expired tokens are refused with a readable 4xx", async () => {
    const good = new URL(await client.mutation(api.generateUploadUrl, {}));
    const token = good.searchParams.get("token")!;
    const post = (u: string) => fetch(u, { method: "POST", body: "x" });

    const tampered = await post(`${storageUrl}/api/storage/upload?token=${token.slice(0, -2)}AA`);
    expect(tampered.status).toBe(401);
    expect(await tampered.json()).toMatchObject({ code: "InvalidStorageToken", message: expect.any(String) });

    const missing = await post(`${storageUrl}/api/storage/upload`);
    expect(missing.status).toBe(400);
    expect((await missing.json()).code).toBe("MissingStorageToken");

    const garbage = await post(`${storageUrl}/api/storage/upload?token=not-a-token`);
    expect(garbage.status).toBe(400);
    await garbage.arrayBuffer();

    // The same key, two hours later.
    const later = new FileStorage({ dataDir, runner: backend.runner, cloudUrl: () => storageUrl, now: () => Date.now() + 2 * 3600_000 });
    let err: unknown;
    try {
      later.verifyUploadToken(token);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StorageError);
    expect(err).toMatchObject({ status: 401, code: "StorageTokenExpired" });

    // A GET on the upload path is not an upload.
    const get = await fetch(good);
    expect(get.status).toBe(405);
    await get.arrayBuffer();
  });

  test("unknown and malformed storage paths", async () => {
    const id = await upload("short-lived");
    await client.mutation(api.remove, { id });
    const unknown = await fetch(`${storageUrl}/api/storage/${id}`);
    expect(unknown.status).toBe(404);
    await unknown.arrayBuffer();
    const malformed = await fetch(`${storageUrl}/api/storage/not-an-id`);
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).code).toBe("InvalidStoragePath");
    await expect(client.query(api.getUrlAnyId, { id: "nope" })).rejects.toThrow(/not an Id<"_storage">/);
  });
});

describe("store and get in functions", () => {
  test("actions store a Blob and read it back", async () => {
    const r = await client.action(api.storeInAction, { text: "hello from an action", type: "text/markdown" });
    expect(r.text).toBe("hello from an action");
    expect(r.type).toBe("text/markdown");
    expect(r.url).toBe(`${storageUrl}/api/storage/${r.id}`);
    const res = await fetch(r.url);
    expect(res.headers.get("content-type")).toBe("text/markdown");
    expect(await res.text()).toBe("hello from an action");
    expect(await client.action(api.getInAction, { id: r.id })).toEqual({ text: "hello from an action", type: "text/markdown" });
  });

  test("an action's Blob stays readable after the file is deleted in the same run; the file goes when the run ends", async () => {
    // storage.get's Blob is backed by the stored file (no copy of its bytes): it is pinned for the run.
    const text = `pinned for the run ${Date.now()}`;
    const id = await upload(text);
    const hex = sha(text).toString("hex");
    expect(await client.action(api.getDeleteThenRead, { id })).toEqual({ text, size: text.length, isBlob: true, again: null });
    await waitFor(() => !existsSync(files.blobPath(hex)));
    expect(await client.action(api.getInAction, { id })).toBeNull();
  });

  test("store() checks an expected sha256", async () => {
    const good = sha("checked").toString("base64");
    const r = await client.action(api.storeInAction, { text: "checked", sha256: good });
    expect(r.text).toBe("checked");
    await expect(client.action(api.storeInAction, { text: "checked", sha256: sha("other").toString("base64") })).rejects.toThrow(
      /Sha256 mismatch/,
    );
  });

  test("mutations store and get (convex 1.48), atomically with the mutation", async () => {
    const r = await client.mutation(api.storeInMutation, { text: "stored by a mutation" });
    expect(r.text).toBe("stored by a mutation");
    expect(r.size).toBe(20);
    expect(await client.mutation(api.getInMutation, { id: r.id })).toBe("stored by a mutation");
    expect(await client.action(api.getInAction, { id: r.id })).toEqual({ text: "stored by a mutation", type: "" });

    const text = `never committed ${Date.now()}`;
    const hex = sha(text).toString("hex");
    const before = (await client.query(api.list, {})).length;
    await expect(client.mutation(api.storeInMutationThenThrow, { text })).rejects.toThrow(/rolled back on purpose/);
    expect((await client.query(api.list, {})).length).toBe(before);
    await waitFor(() => !existsSync(files.blobPath(hex)));
  });
});

describe("restart", () => {
  test("files survive a restart; stray blobs and temp files are cleaned up", async () => {
    const id = await upload("persistent", { "Content-Type": "text/plain" });
    const stray = path.join(files.filesDir, "ab".repeat(32));
    writeFileSync(stray, "nobody references me");
    writeFileSync(path.join(files.tmpDir, "leftover"), "half an upload");

    await backend.close();
    await startBackend();

    expect(existsSync(stray)).toBe(false);
    expect(readdirSync(files.tmpDir)).toEqual([]);
    const url = await client.query(api.getUrl, { id });
    expect(await (await fetch(url)).text()).toBe("persistent");
  });
});
