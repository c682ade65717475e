// The production server's own request handling (app/server/index.ts), with a stand-in build whose
// `front` answers everything (Remix never runs): a request is aborted when its client goes away,
// and only then; a body the build says is whole is written as it is.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const dir = mkdtempSync(path.join(os.tmpdir(), "serve-"));
const buildPath = path.join(dir, "server", "index.mjs");
mkdirSync(path.join(dir, "server"));
mkdirSync(path.join(dir, "client"));
writeFileSync(
  buildPath,
  `const say = (o) => console.log(JSON.stringify(o));
// Stops by itself should the test process die without killing it.
setTimeout(() => process.exit(0), 120_000).unref();
const whole = new WeakMap();
export const entry = { module: {
  wholeBody: (r) => whole.get(r),
  front: async (request) => {
    const url = new URL(request.url);
    request.signal.addEventListener("abort", () => say({ event: "aborted", path: url.pathname }));
    if (url.pathname === "/slow") return new Promise((resolve) => setTimeout(() => resolve(new Response("late")), 5000));
    if (url.pathname === "/whole") { const r = new Response("from the stream"); whole.set(r, "from the whole body"); return r; }
    return new Response("fast");
  },
} };
export const routes = {};
export const assets = { routes: {}, entry: { module: "", imports: [] }, url: "", version: "test" };
export const future = {};
export const publicPath = "/";
export const assetsBuildDirectory = ${JSON.stringify(path.join(dir, "client"))};
`,
);

let server: ChildProcess;
let port = 0;
const lines: Array<{ event: string; path?: string }> = [];

beforeAll(async () => {
  port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  server = spawn(process.execPath, ["--import", "tsx", path.resolve(__dirname, "index.ts")], {
    env: { ...process.env, BUILD_PATH: buildPath, PORT: String(port), HOST: "127.0.0.1", WEB_CONCURRENCY: "1", NODE_ENV: "production" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let buffered = "";
  server.stdout!.on("data", (c: Buffer) => {
    buffered += c.toString();
    for (let i = buffered.indexOf("\n"); i >= 0; i = buffered.indexOf("\n")) {
      const line = buffered.slice(0, i);
      buffered = buffered.slice(i + 1);
      if (line.startsWith("{")) lines.push(JSON.parse(line));
    }
  });
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await fetch(`http://127.0.0.1:${port}/ready`);
      return;
    } catch {
      if (Date.now() > deadline) throw new Error("the server did not start");
      await new Promise((r) => setTimeout(r, 100));
    }
  }
});

afterAll(() => {
  server?.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

describe("the production server", () => {
  test("a client that goes away before its response aborts the request's signal", async () => {
    const socket = net.connect(port, "127.0.0.1");
    await new Promise((r) => socket.once("connect", r));
    socket.write("GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    await new Promise((r) => setTimeout(r, 300));
    socket.destroy();
    await expect.poll(() => lines.some((l) => l.event === "aborted" && l.path === "/slow"), { timeout: 5000 }).toBe(true);
  });

  test("a response that was written does not abort its request afterwards", async () => {
    const r = await fetch(`http://127.0.0.1:${port}/fast`);
    expect(await r.text()).toBe("fast");
    // Keep-alive or not, the response's end must not count as the client going away.
    await new Promise((r) => setTimeout(r, 500));
    expect(lines.filter((l) => l.path === "/fast")).toEqual([]);
  });

  test("a body the build holds whole is written as it is, not read from the stream", async () => {
    const r = await fetch(`http://127.0.0.1:${port}/whole`);
    expect(await r.text()).toBe("from the whole body");
  });
});
