// Over 400 lines: the whole HTTP API surface through the real clients, one describe per endpoint family.
// Convex's public HTTP API (the endpoints `ConvexHttpClient` uses), exercised through the real
// `convex/browser` client and, where the client cannot express a request, through raw fetch.
// Reference: ../shared/reference/convex-backend-facts.md §1.
import { ConvexClient, ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import { ConvexError, convexToJson, type Value } from "convex/values";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { LocalBackend } from "../src/backend.js";

const FIXTURE = "local-backend/test/fixture/convex";
const ECHO_APP = "local-backend/test/fixtures-extra/http/convex";

const dirs: string[] = [];
const backends: LocalBackend[] = [];

async function start(convexDir: string, extra: { redactErrors?: boolean } = {}): Promise<LocalBackend> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "lb-http-api-"));
  dirs.push(dataDir);
  const backend = await LocalBackend.start({ dataDir, convexDir, port: 0, host: "127.0.0.1", ...extra });
  backends.push(backend);
  return backend;
}

let fixture: LocalBackend;
let echo: LocalBackend;
let redacted: LocalBackend;

beforeAll(async () => {
  fixture = await start(FIXTURE);
  echo = await start(ECHO_APP);
  redacted = await start(FIXTURE, { redactErrors: true });
});

afterAll(async () => {
  for (const b of backends) await b.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A real client; `logger: false` keeps function log lines out of the test output. */
function client(backend: LocalBackend) {
  return new ConvexHttpClient(backend.url, { logger: false });
}

/** `setAdminAuth` is marked @internal in convex's types, but it is what the dashboard and CLI use. */
function withAdminKey(c: ConvexHttpClient, key: string): ConvexHttpClient {
  (c as unknown as { setAdminAuth(key: string): void }).setAdminAuth(key);
  return c;
}

/** A comparable form of a Convex value: keeps the distinctions toEqual would blur (-0, bytes). */
function norm(v: unknown): unknown {
  if (typeof v === "bigint") return { int64: v.toString() };
  if (typeof v === "number") {
    if (Object.is(v, -0)) return { float: "-0" };
    if (!Number.isFinite(v)) return { float: String(v) };
    return v;
  }
  if (v instanceof ArrayBuffer) return { bytes: [...new Uint8Array(v)] };
  if (Array.isArray(v)) return v.map(norm);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, norm((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

const bytes = (...b: number[]) => new Uint8Array(b).buffer;

/** One value of every Convex type, including the ones JSON cannot carry. */
const RICH: Record<string, Value> = {
  int64: 123n,
  int64Zero: 0n,
  int64Min: -9223372036854775808n,
  int64Max: 9223372036854775807n,
  bytes: bytes(0, 1, 127, 128, 254, 255),
  emptyBytes: new ArrayBuffer(0),
  nan: NaN,
  inf: Infinity,
  negInf: -Infinity,
  negZero: -0,
  zero: 0,
  float: 1.5,
  bigFloat: 2 ** 60,
  tiny: Number.MIN_VALUE,
  str: "héllo ☃ 𝄞",
  emptyStr: "",
  yes: true,
  no: false,
  nothing: null,
  list: [1n, "two", [3, [null, bytes(9)]], { deep: { deeper: [NaN, -0] } }],
  emptyList: [],
  obj: { a: { b: { c: 1n } }, empty: {} },
};

async function post(backend: LocalBackend, route: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${backend.url}${route}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

async function expectStillServing(backend: LocalBackend) {
  await expect(client(backend).query(anyApi.items.count, {})).resolves.toBeTypeOf("number");
}

describe("value round trips through ConvexHttpClient", () => {
  test.each(["query", "mutation", "action"] as const)("%s echoes every value type unchanged", async (kind) => {
    const c = client(echo);
    const ref = anyApi.echo[kind];
    const result =
      kind === "query"
        ? await c.query(ref, { value: RICH })
        : kind === "mutation"
          ? await c.mutation(ref, { value: RICH })
          : await c.action(ref, { value: RICH });
    expect(norm(result)).toEqual(norm(RICH));
  });

  test("the handler sees bigint, ArrayBuffer, NaN and -0 as such", async () => {
    const seen = await client(echo).query(anyApi.echo.types, {
      value: { i: 5n, b: bytes(1, 2, 3), n: NaN, z: -0, f: 2.5, s: "x", nul: null, arr: [1n] },
    });
    expect(seen).toEqual({
      i: "bigint",
      b: "ArrayBuffer(3)",
      n: "NaN",
      z: "-0",
      f: "number(2.5)",
      s: "string",
      nul: "null",
      arr: ["bigint"],
    });
  });

  test("values stored by a mutation read back identically through a query", async () => {
    const c = client(fixture);
    const entries = Object.entries(RICH).map(([label, value]) => ({ label: `rt-${label}`, value }));
    await c.mutation(anyApi.values.insertAll, { entries });
    for (const [label, value] of Object.entries(RICH)) {
      const got = await c.query(anyApi.values.get, { label: `rt-${label}` });
      expect(norm(got), label).toEqual(norm([value]));
    }
  });

  test("a function returning undefined yields null", async () => {
    await expect(client(fixture).query(anyApi.items.returnsUndefined, {})).resolves.toBeNull();
  });

  test("functions in folders and default exports are addressable", async () => {
    const c = client(fixture);
    await expect(c.query(anyApi.folder.nested.hello, { who: "x" })).resolves.toBe("hello x from folder/nested");
    await expect(c.query(anyApi.defaultExport.default, {})).resolves.toBe("default export");
    for (const p of ["defaultExport", "defaultExport:default", "defaultExport.js", "defaultExport.js:default"]) {
      const r = await post(fixture, "/api/query", { path: p, args: {}, format: "json" });
      expect(JSON.parse(r.text), p).toEqual({ status: "success", value: "default export" });
    }
  });
});

describe("errors reaching the client", () => {
  const errorData = {
    code: "E_CONFLICT",
    n: 42,
    big: 7n,
    nested: { list: [1, "two", null, false], empty: {} },
  };

  test("ConvexError from a mutation arrives as ConvexError with its data, and nothing commits", async () => {
    const c = client(fixture);
    const err = await c.mutation(anyApi.errors.mutationThrowsConvexError, {}).catch((e) => e);
    expect(err).toBeInstanceOf(ConvexError);
    expect(norm(err.data)).toEqual(norm(errorData));
    expect(err.message).toMatch(/^\[Request ID: [^\]]+\] Server Error/);
    const names: string[] = await c.query(anyApi.items.names, {});
    expect(names).not.toContain("before-convex-error");
  });

  test("ConvexError from an action and from a query keep their data", async () => {
    const c = client(fixture);
    const fromAction = await c.action(anyApi.errors.actionThrowsConvexError, {}).catch((e) => e);
    expect(fromAction).toBeInstanceOf(ConvexError);
    expect(norm(fromAction.data)).toEqual(norm(errorData));

    const fromQuery = await client(echo).query(anyApi.echo.queryThrowsConvexError, {}).catch((e) => e);
    expect(fromQuery).toBeInstanceOf(ConvexError);
    expect(norm(fromQuery.data)).toEqual(norm({ code: "NOPE", big: 9007199254740993n, bytes: bytes(1, 2) }));
  });

  test("a string ConvexError keeps its string data", async () => {
    const err = await client(fixture).mutation(anyApi.errors.mutationThrowsStringConvexError, {}).catch((e) => e);
    expect(err).toBeInstanceOf(ConvexError);
    expect(err.data).toBe("plain message");
  });

  test("a plain thrown Error's message reaches the client (not as ConvexError)", async () => {
    const err = await client(fixture).mutation(anyApi.errors.plainErrorMutation, {}).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(ConvexError);
    expect(err.message).toMatch(/^\[Request ID: [^\]]+\] Server Error\n/);
    expect(err.message).toContain("Uncaught Error: plain error message 123");

    const fromAction = await client(echo).action(anyApi.echo.actionThrowsPlain, {}).catch((e) => e);
    expect(fromAction).not.toBeInstanceOf(ConvexError);
    expect(fromAction.message).toContain("action plain failure 456");
  });

  test.each([
    ["query", "transactions:namesInternal"],
    ["mutation", "items:internalInsert"],
    ["action", "actions:double"],
  ] as const)("an internal %s is not callable from a client", async (kind, fnPath) => {
    const c = client(fixture);
    const [mod, fn] = fnPath.split(":");
    const ref = anyApi[mod][fn];
    const call = kind === "query" ? c.query(ref, {}) : kind === "mutation" ? c.mutation(ref, {}) : c.action(ref, {});
    const err = await call.catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toContain(`Could not find public function for '${fnPath}'`);
  });

  test("an unknown function or module is not found", async () => {
    const c = client(fixture);
    await expect(c.query(anyApi.items.doesNotExist, {})).rejects.toThrow(
      "Could not find public function for 'items:doesNotExist'",
    );
    await expect(c.mutation(anyApi.noSuchModule.fn, {})).rejects.toThrow(
      "Could not find public function for 'noSuchModule:fn'",
    );
    await expect(c.action(anyApi.folder.nested.nope, {})).rejects.toThrow(
      "Could not find public function for 'folder/nested:nope'",
    );
  });

  test("calling a function as the wrong kind names both kinds", async () => {
    const c = client(fixture);
    await expect(c.mutation(anyApi.items.count, {})).rejects.toThrow(
      /Trying to execute items(\.js)?:count as Mutation, but it is defined as Query\./,
    );
    await expect(c.query(anyApi.items.insert, { name: "x" })).rejects.toThrow(
      /Trying to execute items(\.js)?:insert as Query, but it is defined as Mutation\./,
    );
    await expect(c.mutation(anyApi.actions.chain, { name: "x", rank: 1 })).rejects.toThrow(
      /Trying to execute actions(\.js)?:chain as Mutation, but it is defined as Action\./,
    );
    await expect(c.action(anyApi.items.count, {})).rejects.toThrow(
      /Trying to execute items(\.js)?:count as Action, but it is defined as Query\./,
    );
  });

  test("argument validation errors say ArgumentValidationError", async () => {
    const c = client(fixture);
    const bad: Array<Record<string, Value>> = [
      { n: "not a number", s: "x" }, // wrong type
      { s: "x" }, // missing required field
      { n: 1, s: "x", extra: true }, // extra field
      { n: 1, s: "x", choice: "z" }, // literal union mismatch
    ];
    for (const args of bad) {
      const err = await c.query(anyApi.validation.withArgs, args).catch((e) => e);
      expect(err, JSON.stringify(convexToJson(args))).toBeInstanceOf(Error);
      expect(err.message).toContain("ArgumentValidationError");
    }
    await expect(c.query(anyApi.validation.withInt64Arg, { x: 1 })).rejects.toThrow("ArgumentValidationError");
    await expect(c.query(anyApi.validation.withInt64Arg, { x: 41n })).resolves.toBe(42n);
    await expect(c.mutation(anyApi.items.insert, { name: 5 })).rejects.toThrow("ArgumentValidationError");
  });
});

describe("admin auth", () => {
  test("an admin client can call internal queries, mutations and actions", async () => {
    const c = withAdminKey(client(fixture), fixture.adminKey);
    const id = await c.mutation(anyApi.items.internalInsert, { name: "via-admin" });
    expect(typeof id).toBe("string");
    const names: string[] = await c.query(anyApi.transactions.namesInternal, {});
    expect(names).toContain("via-admin");
    await expect(c.action(anyApi.actions.double, { x: 21 })).resolves.toBe(42);
    // Public functions keep working with admin auth.
    await expect(c.query(anyApi.items.count, {})).resolves.toBeTypeOf("number");
  });

  test("an admin key in lowercase `convex ` scheme is accepted", async () => {
    const r = await post(
      fixture,
      "/api/query",
      { path: "transactions:namesInternal", args: [{}], format: "convex_encoded_json" },
      { Authorization: `convex ${fixture.adminKey}` },
    );
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text).status).toBe("success");
  });

  test("a wrong admin key gets a 401 with a readable message", async () => {
    const c = withAdminKey(client(fixture), "local-admin|0000000000000000");
    const err = await c.query(anyApi.items.count, {}).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.message.toLowerCase()).toContain("admin key");

    const r = await post(
      fixture,
      "/api/query",
      { path: "items:count", args: [{}], format: "convex_encoded_json" },
      { Authorization: "Convex not-the-key" },
    );
    expect(r.status).toBe(401);
    expect(r.text.toLowerCase()).toContain("admin key");
    // A wrong key must not fall back to running the function anonymously.
    expect(r.text).not.toContain('"status":"success"');
    await expectStillServing(fixture);
  });
});

describe("log lines", () => {
  test("console output reaches the client's logger as Convex log lines", async () => {
    const logged: unknown[][] = [];
    const logger = {
      log: (...a: unknown[]) => logged.push(a),
      warn: (...a: unknown[]) => logged.push(a),
      error: (...a: unknown[]) => logged.push(["error", ...a]),
      logVerbose: () => {},
    };
    const c = new ConvexHttpClient(echo.url, { logger });
    await expect(c.query(anyApi.echo.logs, {})).resolves.toBe("logged");
    const text = logged.map((a) => a.join(" "));
    expect(text.some((l) => l.includes("[CONVEX Q(echo:logs)] [LOG]") && l.includes("'hello'"))).toBe(true);
    expect(text.some((l) => l.includes("[WARN]") && l.includes("'careful'"))).toBe(true);
    // Every line parsed: the client reports unparseable lines as errors.
    expect(text.filter((l) => l.includes("Could not parse console.log"))).toEqual([]);
  });

  test("the raw envelope carries logLines in Convex's format, also on failure", async () => {
    const ok = await post(echo, "/api/query", { path: "echo:logs", args: [{}], format: "convex_encoded_json" });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.text)).toEqual({
      status: "success",
      value: "logged",
      logLines: ["[LOG] 'hello'", "[INFO] 'info' 1 { a: true }", "[WARN] 'careful'", "[ERROR] 'bad thing'"],
    });
    const failed = await post(echo, "/api/mutation", { path: "echo:logsThenThrows", args: [{}], format: "convex_encoded_json" });
    expect(failed.status).toBe(200);
    const body = JSON.parse(failed.text);
    expect(body.status).toBe("error");
    expect(body.logLines).toEqual(["[LOG] 'before failure'"]);
  });

  test("a function without console output has no logLines in the envelope", async () => {
    const r = await post(fixture, "/api/query", { path: "items:count", args: [{}], format: "convex_encoded_json" });
    const body = JSON.parse(r.text);
    expect(body.status).toBe("success");
    expect(body.logLines ?? []).toEqual([]);
  });
});

describe("raw HTTP requests", () => {
  test("the success envelope is {status, value} with HTTP 200", async () => {
    const r = await post(fixture, "/api/query", {
      path: "folder/nested:hello",
      args: [{ who: "raw" }],
      format: "convex_encoded_json",
    });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^application\/json/);
    expect(JSON.parse(r.text)).toEqual({ status: "success", value: "hello raw from folder/nested" });
  });

  test("a function error is {status:'error', errorMessage} with HTTP 200", async () => {
    const r = await post(fixture, "/api/mutation", {
      path: "errors:plainErrorMutation",
      args: [{}],
      format: "convex_encoded_json",
    });
    expect(r.status).toBe(200);
    const body = JSON.parse(r.text);
    expect(body.status).toBe("error");
    expect(body.errorMessage).toMatch(/^\[Request ID: [^\]]+\] Server Error\n/);
    expect(body.errorMessage).toContain("plain error message 123");
    expect(body).not.toHaveProperty("errorData");
  });

  test("ConvexError data is in errorData, Convex-encoded", async () => {
    const r = await post(fixture, "/api/mutation", {
      path: "errors:mutationThrowsConvexError",
      args: [{}],
      format: "convex_encoded_json",
    });
    expect(r.status).toBe(200);
    const body = JSON.parse(r.text);
    expect(body.status).toBe("error");
    expect(body.errorData).toEqual(
      convexToJson({ code: "E_CONFLICT", n: 42, big: 7n, nested: { list: [1, "two", null, false], empty: {} } }),
    );
  });

  test("args are accepted both as [obj] and as obj", async () => {
    for (const args of [[{ who: "arr" }], { who: "arr" }]) {
      const r = await post(fixture, "/api/query", { path: "folder/nested:hello", args, format: "json" });
      expect(r.status, JSON.stringify(args)).toBe(200);
      expect(JSON.parse(r.text)).toEqual({ status: "success", value: "hello arr from folder/nested" });
    }
    // Missing args means no arguments.
    const r = await post(fixture, "/api/query", { path: "items:count", format: "json" });
    expect(JSON.parse(r.text).status).toBe("success");
  });

  test("/api/run/<module>/<fn> returns clean JSON", async () => {
    const r = await post(fixture, "/api/run/validation/withInt64Arg", {
      args: { x: convexToJson(41n) },
      format: "json",
    });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual({ status: "success", value: "42" });

    const folder = await post(fixture, "/api/run/folder/nested/hello", { args: { who: "run" }, format: "json" });
    expect(JSON.parse(folder.text)).toEqual({ status: "success", value: "hello run from folder/nested" });

    const rich = await post(echo, "/api/run/echo/query", {
      args: convexToJson({ value: { i: -5n, b: bytes(0, 16, 131), nan: NaN, inf: Infinity, ninf: -Infinity, n: [1n] } }),
      format: "json",
    });
    expect(JSON.parse(rich.text)).toEqual({
      status: "success",
      value: { i: "-5", b: "ABCD", nan: "NaN", inf: "Infinity", ninf: "-Infinity", n: ["1"] },
    });
  });

  test("/api/run runs mutations and actions too", async () => {
    const m = await post(fixture, "/api/run/items/insert", { args: { name: "via-run" }, format: "json" });
    expect(JSON.parse(m.text).status).toBe("success");
    const a = await post(fixture, "/api/run/actions/chain", { args: { name: "via-run-action", rank: 4 }, format: "json" });
    const body = JSON.parse(a.text);
    expect(body.status).toBe("success");
    expect(body.value).toMatchObject({ name: "via-run-action", doubled: 8 });
    // Internal functions stay hidden on /api/run.
    const hidden = await post(fixture, "/api/run/actions/double", { args: { x: 1 }, format: "json" });
    expect(JSON.parse(hidden.text).errorMessage).toContain("Could not find public function for 'actions:double'");
  });

  test("malformed JSON is a 400 with a readable message, and the server keeps serving", async () => {
    const r = await post(fixture, "/api/query", '{"path": "items:count", "args": [');
    expect(r.status).toBe(400);
    expect(r.text.length).toBeGreaterThan(0);
    expect(r.text.toLowerCase()).toContain("json");
    await expectStillServing(fixture);
  });

  test("a missing or non-string path is a 400", async () => {
    for (const body of [{ args: [{}] }, { path: 42, args: [{}] }, { path: "", args: [{}] }]) {
      const r = await post(fixture, "/api/query", body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.text.toLowerCase()).toContain("path");
    }
    await expectStillServing(fixture);
  });

  test("an unknown endpoint is a 404", async () => {
    const r = await post(fixture, "/api/does_not_exist", { path: "items:count", args: [{}] });
    expect(r.status).toBe(404);
    const outside = await fetch(`${fixture.url}/no/such/page`);
    expect(outside.status).toBe(404);
    await outside.text();
    await expectStillServing(fixture);
  });

  test("GET where POST is required is refused with a 4xx", async () => {
    for (const route of ["/api/mutation", "/api/action", "/api/run/items/count"]) {
      const r = await fetch(`${fixture.url}${route}`);
      expect(r.status, route).toBeGreaterThanOrEqual(400);
      expect(r.status, route).toBeLessThan(500);
      await r.text();
    }
    await expectStillServing(fixture);
  });

  test("a body that is not an object is a 400", async () => {
    for (const body of ["[1,2]", '"text"', "null", "3"]) {
      const r = await post(fixture, "/api/query", body);
      expect(r.status, body).toBe(400);
    }
    await expectStillServing(fixture);
  });

  test("an oversized request body is answered with a 413, and the server keeps serving", async () => {
    // Convex caps function arguments at 16 MiB; this server refuses bodies over 20 MiB.
    const res = await fetch(`${fixture.url}/api/query`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ path: "items:count", args: [{ pad: "x".repeat(21 * 2 ** 20) }] }),
    }).then(
      async (r) => ({ status: r.status, text: await r.text() }),
      (e: Error) => ({ status: -1, text: `fetch failed: ${String((e as { cause?: unknown }).cause ?? e)}` }),
    );
    expect(res.text).not.toMatch(/^fetch failed/);
    expect(res.status).toBe(413);
    await expectStillServing(fixture);
  });

  test("a path with more than one ':' is not resolved to some other function", async () => {
    const before: number = await client(fixture).query(anyApi.items.count, {});
    const r = await post(fixture, "/api/mutation", {
      path: "items:insert:extra",
      args: [{ name: "ghost-from-bad-path" }],
      format: "convex_encoded_json",
    });
    expect(r.text).not.toContain('"status":"success"');
    const names: string[] = await client(fixture).query(anyApi.items.names, {});
    expect(names).not.toContain("ghost-from-bad-path");
    await expect(client(fixture).query(anyApi.items.count, {})).resolves.toBe(before);
  });

  test("/api/function runs a function of any kind with object args", async () => {
    const q = await post(fixture, "/api/function", { path: "folder/nested:hello", args: { who: "fn" }, format: "json" });
    expect(JSON.parse(q.text)).toEqual({ status: "success", value: "hello fn from folder/nested" });
    const a = await post(fixture, "/api/function", {
      path: "actions:chain",
      args: { name: "via-function", rank: 5 },
      format: "convex_encoded_json",
    });
    expect(JSON.parse(a.text).value).toMatchObject({ name: "via-function", doubled: 10 });
  });

  // What this proves: interleaved traffic from many independent clients, over HTTP and the WebSocket
  // at once, loses no update and applies none twice. Mutations run concurrently under optimistic
  // concurrency control (runtime/occ.ts), so increments that read the same count conflict and run
  // again; the returned counts are still exactly 1..N and the stored count exactly N. What it cannot
  // prove: that a conflict happened in this run (the timing decides). occ.test.ts makes each case
  // happen on purpose.
  test("interleaved clients: many HTTP and WebSocket clients incrementing one counter lose no update", async () => {
    const name = "interleaved";
    const http = Array.from({ length: 6 }, () => client(fixture));
    const sockets = Array.from({ length: 4 }, () => new ConvexClient(fixture.url, { skipConvexDeploymentUrlCheck: true, logger: false }));
    const PER_CLIENT = 15;
    try {
      const calls: Array<Promise<{ client: number; count: number }>> = [];
      for (let i = 0; i < PER_CLIENT; i++) {
        http.forEach((c, k) =>
          calls.push(c.mutation(anyApi.transactions.increment, { name }, { skipQueue: true }).then((count: number) => ({ client: k, count }))),
        );
        sockets.forEach((c, k) =>
          calls.push(c.mutation(anyApi.transactions.increment, { name }).then((count: number) => ({ client: http.length + k, count }))),
        );
      }
      const results = await Promise.all(calls);
      const total = (http.length + sockets.length) * PER_CLIENT;
      expect(results.map((r) => r.count).sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      const admin = withAdminKey(client(fixture), fixture.adminKey);
      await expect(admin.query(anyApi.transactions.counter, { name })).resolves.toBe(total);
      // The clients' commits really interleaved (not one client's batch after another's).
      const byCommit = [...results].sort((a, b) => a.count - b.count).map((r) => r.client);
      const switches = byCommit.filter((c, i) => i > 0 && c !== byCommit[i - 1]).length;
      expect(switches).toBeGreaterThan(http.length + sockets.length);
    } finally {
      await Promise.all(sockets.map((c) => c.close()));
    }
  });

  // Serializability across two documents: concurrent transfers from real clients (HTTP and
  // WebSocket at once), each reading two balances and writing both. A lost update or a write on a
  // stale read would break the books: every final balance must equal its opening balance plus the
  // transfers that reported success, and none may go below zero. What it cannot prove: that the
  // runs overlapped in this particular run (the retry counter shows whether conflicts happened).
  test("concurrent transfers between accounts from many clients keep the books exact", async () => {
    const accounts = ["acct-a", "acct-b", "acct-c", "acct-d", "acct-e"];
    const admin = withAdminKey(client(fixture), fixture.adminKey);
    for (const name of accounts) {
      for (let i = 0; i < 100; i++) await client(fixture).mutation(anyApi.transactions.increment, { name });
    }
    const http = Array.from({ length: 6 }, () => client(fixture));
    const sockets = Array.from({ length: 2 }, () => new ConvexClient(fixture.url, { skipConvexDeploymentUrlCheck: true, logger: false }));
    let seed = 7;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const transfers = Array.from({ length: 240 }, () => {
      const from = accounts[random(accounts.length)];
      let to = accounts[random(accounts.length)];
      if (to === from) to = accounts[(accounts.indexOf(from) + 1) % accounts.length];
      return { from, to, amount: 1 + random(60) };
    });
    try {
      const retriesBefore = fixture.runner.occRetries;
      const done = await Promise.all(
        transfers.map((t, i) => {
          const c = i % 4 === 3 ? sockets[i % sockets.length] : http[i % http.length];
          return (c.mutation(anyApi.transactions.transfer, t) as Promise<boolean>).then((ok) => ({ ...t, ok }));
        }),
      );
      const expected = new Map(accounts.map((a) => [a, 100]));
      for (const t of done.filter((d) => d.ok)) {
        expected.set(t.from, expected.get(t.from)! - t.amount);
        expected.set(t.to, expected.get(t.to)! + t.amount);
      }
      for (const name of accounts) {
        const balance: number = await admin.query(anyApi.transactions.counter, { name });
        expect(balance).toBe(expected.get(name));
        expect(balance).toBeGreaterThanOrEqual(0);
      }
      expect(done.filter((d) => d.ok).length).toBeGreaterThan(100);
      console.log(`transfers: ${done.filter((d) => d.ok).length} of ${done.length} made, ${fixture.runner.occRetries - retriesBefore} runs repeated after a conflict`);
    } finally {
      await Promise.all(sockets.map((c) => c.close()));
    }
  });

  test("CORS preflight answers 204 with the origin mirrored", async () => {
    const res = await fetch(`${fixture.url}/api/query`, {
      method: "OPTIONS",
      headers: {
        Origin: "http://app.example:3000",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,convex-client,authorization",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("http://app.example:3000");
    expect(res.headers.get("access-control-allow-credentials")).toBe("true");
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    expect(res.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("convex-client");

    // The actual request carries the mirrored origin too.
    const r = await post(fixture, "/api/query", { path: "items:count", args: [{}] }, { Origin: "http://app.example:3000" });
    expect(r.headers.get("access-control-allow-origin")).toBe("http://app.example:3000");
  });
});

describe("redactErrors", () => {
  test("function errors lose their detail but ConvexError data still arrives", async () => {
    const c = client(redacted);
    const plain = await c.mutation(anyApi.errors.plainErrorMutation, {}).catch((e) => e);
    expect(plain).toBeInstanceOf(Error);
    expect(plain.message).toMatch(/^\[Request ID: [^\]]+\] Server Error$/);
    expect(plain.message).not.toContain("plain error message 123");

    const convexErr = await c.mutation(anyApi.errors.mutationThrowsConvexError, {}).catch((e) => e);
    expect(convexErr).toBeInstanceOf(ConvexError);
    expect(norm(convexErr.data)).toEqual(
      norm({ code: "E_CONFLICT", n: 42, big: 7n, nested: { list: [1, "two", null, false], empty: {} } }),
    );

    const raw = await post(redacted, "/api/mutation", {
      path: "errors:plainErrorMutation",
      args: [{}],
      format: "convex_encoded_json",
    });
    const body = JSON.parse(raw.text);
    expect(raw.status).toBe(200);
    expect(body.errorMessage).toMatch(/^\[Request ID: [^\]]+\] Server Error$/);
  });

  test("successful calls are unaffected", async () => {
    await expect(client(redacted).query(anyApi.folder.nested.hello, { who: "r" })).resolves.toBe(
      "hello r from folder/nested",
    );
  });
});
