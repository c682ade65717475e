// Oversized arguments and return values (issue #12 item 17): Convex's value limits (arrays 8,192
// elements, objects 1,024 fields, nesting 64, 16 MiB) hold for every call before the function
// runs, with Convex's texts (crates/isolate/src/helpers.rs: "Invalid arguments for <path>: …",
// "Arguments for <path> are too large …", "Function <path> return value invalid: …",
// "Function <path> return value is too large …"), and the backend keeps serving.
// Fixture: local-backend/test/fixtures-extra/arg-limits/convex.
import { ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { LocalBackend } from "../src/backend.js";
import { convexTest, type TestConvex } from "../src/testing.js";

const FIXTURE = fileURLToPath(new URL("./fixtures-extra/arg-limits/convex", import.meta.url));
const MiB = 2 ** 20;

let dataDir: string;
let backend: LocalBackend;
let client: ConvexHttpClient;
let t: TestConvex;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "lb-arg-limits-"));
  backend = await LocalBackend.start({ dataDir, convexDir: FIXTURE, port: 0, crons: false });
  client = new ConvexHttpClient(backend.url, { logger: false });
  t = convexTest(undefined, FIXTURE);
}, 60_000);

afterAll(async () => {
  await t?.close();
  await backend?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const zeros = (n: number) => new Array(n).fill(0);
const object = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`f${i}`, i]));
function nested(depth: number): unknown {
  let value: unknown = 0;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

async function failure(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("the call succeeded");
}

/** Runs of `calls:record` so far: a rejected call must not have run. */
const runs = (): Promise<number> => client.query(anyApi.calls.runs, {});

describe("oversized arguments", () => {
  test("oversized arguments: an array past 8,192 elements is refused before the function runs (HTTP)", async () => {
    const before = await runs();
    expect(await failure(client.mutation(anyApi.calls.record, { items: zeros(8193) }))).toContain(
      "Invalid arguments for calls.js:record: Array length is too long (8193 > maximum length 8192)",
    );
    expect(await failure(client.mutation(anyApi.calls.record, { items: zeros(100_000) }))).toContain(
      "Array length is too long (100000 > maximum length 8192)",
    );
    expect(await runs()).toBe(before);
    await client.mutation(anyApi.calls.record, { items: zeros(8192) });
    expect(await runs()).toBe(before + 1);
    // A validated argument gets the limit too, ahead of the validator.
    expect(await failure(client.query(anyApi.calls.sum, { items: zeros(8193) }))).toContain(
      "Invalid arguments for calls.js:sum: Array length is too long (8193 > maximum length 8192)",
    );
    expect(await client.query(anyApi.calls.sum, { items: new Array(8192).fill(1) })).toBe(8192);
  });

  test("oversized arguments: an object past 1,024 fields is refused (HTTP)", async () => {
    const before = await runs();
    expect(await failure(client.mutation(anyApi.calls.record, { o: object(1025) }))).toContain(
      "Invalid arguments for calls.js:record: Object has too many fields (1025 > maximum number 1024)",
    );
    expect(await runs()).toBe(before);
    await client.mutation(anyApi.calls.record, { o: object(1024) });
    expect(await runs()).toBe(before + 1);
  });

  test("oversized arguments: values nested past 64 levels are refused (HTTP)", async () => {
    const before = await runs();
    // The positional arguments array and the arguments object count as two levels.
    await client.mutation(anyApi.calls.record, { v: nested(62) });
    expect(await failure(client.mutation(anyApi.calls.record, { v: nested(63) }))).toContain(
      "Invalid arguments for calls.js:record: Value is too nested (nested 65 levels deep > maximum nesting 64)",
    );
    // Far deeper than any stack (sent raw: the client cannot even encode it): a clean error.
    const deep = `${"[".repeat(200_000)}0${"]".repeat(200_000)}`;
    const res = await fetch(`${backend.url}/api/mutation`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: `{"path":"calls:record","format":"convex_encoded_json","args":[{"v":${deep}}]}`,
    });
    const body = (await res.json()) as { status: string; errorMessage: string };
    expect(body.status).toBe("error");
    expect(body.errorMessage).toContain("Invalid arguments for calls.js:record: Value is too nested");
    expect(await runs()).toBe(before + 1);
  });

  test("oversized arguments: more than 16 MiB of arguments is refused (HTTP)", async () => {
    const before = await runs();
    const message = await failure(client.mutation(anyApi.calls.record, { s: "x".repeat(16 * MiB) }));
    expect(message).toMatch(/Arguments for calls\.js:record are too large \(actual: 16(\.\d+)? MiB, limit: 16 MiB\)/);
    expect(await runs()).toBe(before);
  });

  test("oversized arguments: the backend keeps serving after a burst of oversized calls", async () => {
    const burst = Array.from({ length: 20 }, (_, i) =>
      failure(client.mutation(anyApi.calls.record, i % 2 ? { items: zeros(50_000) } : { o: object(5000) })),
    );
    for (const message of await Promise.all(burst)) expect(message).toMatch(/Invalid arguments for calls\.js:record/);
    expect(await client.query(anyApi.calls.sum, { items: [1, 2, 3] })).toBe(6);
    const version = await fetch(`${backend.url}/version`);
    expect(version.status).toBe(200);
  });

  test("oversized arguments: in-process calls and nested ctx.runQuery get the same limits", async () => {
    await expect(t.mutation(anyApi.calls.record, { items: zeros(8193) })).rejects.toThrow(
      "Invalid arguments for calls.js:record: Array length is too long (8193 > maximum length 8192)",
    );
    expect(await t.query(anyApi.calls.runs, {})).toBe(0);
    await expect(t.mutation(anyApi.calls.nestedSum, { n: 8193 })).rejects.toThrow(
      "Invalid arguments for calls.js:sum: Array length is too long (8193 > maximum length 8192)",
    );
    expect(await t.mutation(anyApi.calls.nestedSum, { n: 8192 })).toBe(8192);
    const outcome = await backend.runner.runMutation("calls:record", { items: zeros(9000) });
    expect(outcome.ok).toBe(false);
  });
});

describe("oversized return values", () => {
  test("oversized return value: arrays, objects and nesting past the limits fail the call (HTTP)", async () => {
    expect(await client.query(anyApi.calls.array, { n: 8192 })).toHaveLength(8192);
    expect(await failure(client.query(anyApi.calls.array, { n: 8193 }))).toContain(
      "Function calls.js:array return value invalid: Array length is too long (8193 > maximum length 8192)",
    );
    expect(Object.keys(await client.query(anyApi.calls.fields, { n: 1024 }))).toHaveLength(1024);
    expect(await failure(client.query(anyApi.calls.fields, { n: 1025 }))).toContain(
      "Function calls.js:fields return value invalid: Object has too many fields (1025 > maximum number 1024)",
    );
    await client.query(anyApi.calls.nested, { n: 64 });
    expect(await failure(client.query(anyApi.calls.nested, { n: 65 }))).toContain(
      "Function calls.js:nested return value invalid: Value is too nested (nested 65 levels deep > maximum nesting 64)",
    );
  });

  test("oversized return value: more than 16 MiB fails the call (HTTP)", async () => {
    expect(await failure(client.query(anyApi.calls.mebibytes, { n: 17 }))).toMatch(
      /Function calls\.js:mebibytes return value is too large \(actual: 17(\.\d+)? MiB, limit: 16 MiB\)/,
    );
    expect(await client.query(anyApi.calls.mebibytes, { n: 1 })).toHaveLength(1);
  });
});
