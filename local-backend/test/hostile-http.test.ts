// The local backend's HTTP edge under hostile input (issue #12, items 14 and 18): raw request
// lines and headers sent over plain TCP sockets to both ports (the Convex API and the HTTP-actions
// site), and malformed JSON bodies for the public HTTP API. The backend runs in its own process
// (test/hostile/child.ts), so an input that kills it is seen as a dead process. Each input must
// get a 4xx answer (or none: the socket may just close), and the backend must keep serving
// `/version`, a real query and a real HTTP action afterwards.
import net from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startChildBackend, type ChildBackend } from "./hostile/spawn.js";

let backend: ChildBackend;

beforeAll(async () => {
  backend = await startChildBackend();
}, 90_000);

afterAll(async () => {
  await backend?.stop();
});

/** Writes raw bytes to host:port and returns the HTTP status of the answer, or null if none came. */
function raw(origin: string, payload: string | Buffer, endAfterWrite = false): Promise<number | null> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    let data = "";
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(data);
      resolve(m ? Number(m[1]) : null);
    };
    // An answer normally comes at once; a request the server is still waiting on is cut off here.
    const timer = setTimeout(finish, 1_500);
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => {
      data += d;
      // One status line is all we read; the server may keep the connection open after it.
      if (/^HTTP\/1\.[01] \d{3}/.test(data)) finish();
    });
    socket.on("error", finish);
    socket.on("close", finish);
    socket.write(payload, () => {
      if (endAfterWrite) socket.end();
    });
  });
}

const H = "Host: 127.0.0.1\r\nConnection: close\r\n";
const WS = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";

/** Request lines and headers the attack sent (and relatives): each must leave the process serving. */
const CORPUS: Array<[name: string, payload: string | Buffer]> = [
  ["absolute URL, port out of range", `GET http://a:99999/ HTTP/1.1\r\n${H}\r\n`],
  ["absolute URL to /version, port out of range", `GET http://a:99999/version HTTP/1.1\r\n${H}\r\n`],
  ["absolute URL, negative port", `GET http://a:-1/api/query?path=x HTTP/1.1\r\n${H}\r\n`],
  ["absolute URL, unterminated IPv6 host", `GET http://[::1/ HTTP/1.1\r\n${H}\r\n`],
  ["absolute URL, percent-encoded garbage host", `GET http://%zz/ HTTP/1.1\r\n${H}\r\n`],
  ["absolute URL, empty host", `GET http:// HTTP/1.1\r\n${H}\r\n`],
  ["absolute https URL, bad port", `GET https://a:99999/ok HTTP/1.1\r\n${H}\r\n`],
  ["absolute URL, POST to the API", `POST http://a:99999/api/query HTTP/1.1\r\n${H}Content-Length: 2\r\n\r\n{}`],
  ["absolute URL, other scheme without host", `GET ftp://user:pass@/x HTTP/1.1\r\n${H}\r\n`],
  ["upgrade to /api/sync, absolute URL with bad port", `GET http://a:99999/api/sync HTTP/1.1\r\nHost: a\r\n${WS}Sec-WebSocket-Version: 13\r\n\r\n`],
  ["upgrade to /api/<v>/sync, absolute URL with bad port", `GET http://a:99999/api/1.48.0/sync HTTP/1.1\r\nHost: a\r\n${WS}Sec-WebSocket-Version: 13\r\n\r\n`],
  ["upgrade, unterminated IPv6 host", `GET http://[::1/api/sync HTTP/1.1\r\nHost: a\r\n${WS}Sec-WebSocket-Version: 13\r\n\r\n`],
  ["upgrade to /api/sync without a key", `GET /api/sync HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n`],
  ["upgrade to /api/sync, unknown WebSocket version", `GET /api/sync HTTP/1.1\r\nHost: a\r\n${WS}Sec-WebSocket-Version: 99\r\n\r\n`],
  ["upgrade to /api/sync with POST", `POST /api/sync HTTP/1.1\r\nHost: a\r\n${WS}Sec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n`],
  ["upgrade to an unknown path", `GET /nope HTTP/1.1\r\nHost: a\r\n${WS}Sec-WebSocket-Version: 13\r\n\r\n`],
  ["upgrade to an unknown protocol", `GET /api/sync HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n`],
  ["invalid percent-encoding in the path", `GET /%E0%A4%A HTTP/1.1\r\n${H}\r\n`],
  ["invalid percent-encoding and %00", `GET /ok%ZZ%00%C0%AF HTTP/1.1\r\n${H}\r\n`],
  ["invalid percent-encoding under /api/run", `POST /api/run/%ZZ/%E0 HTTP/1.1\r\n${H}Content-Length: 2\r\n\r\n{}`],
  ["invalid percent-encoding under /api/storage", `GET /api/storage/%ZZ HTTP/1.1\r\n${H}\r\n`],
  ["invalid percent-encoding in the query", `GET /api/query?path=%ZZ&args=%E0 HTTP/1.1\r\n${H}\r\n`],
  ["NUL byte in the path", `GET /\0x HTTP/1.1\r\n${H}\r\n`],
  ["NUL byte in a header", `GET /version HTTP/1.1\r\nX-A: a\0b\r\n${H}\r\n`],
  ["a 100 KB header", `GET /version HTTP/1.1\r\nX-Big: ${"a".repeat(100_000)}\r\n${H}\r\n`],
  ["3,000 headers", `GET /version HTTP/1.1\r\n${Array.from({ length: 3000 }, (_, i) => `X-${i}: v`).join("\r\n")}\r\n${H}\r\n`],
  ["unknown method", `FOO / HTTP/1.1\r\n${H}\r\n`],
  ["TRACE", `TRACE /ok HTTP/1.1\r\n${H}\r\n`],
  ["CONNECT with a bad port", `CONNECT a:99999 HTTP/1.1\r\n${H}\r\n`],
  ["HTTP/9.9", `GET / HTTP/9.9\r\n${H}\r\n`],
  ["non-numeric Content-Length", `POST /api/query HTTP/1.1\r\n${H}Content-Length: abc\r\n\r\n{}`],
  ["bad chunked encoding", `POST /api/query HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nzz\r\n\r\n`],
  ["body cut short", `POST /api/query HTTP/1.1\r\n${H}Content-Length: 1000\r\n\r\n{"pa`],
  ["asterisk request target", `GET * HTTP/1.1\r\n${H}\r\n`],
  // A path, not a host: it must not reach the /ok route as if it were http://evil.example/ok.
  ["protocol-relative path", `GET //evil.example/ok HTTP/1.1\r\n${H}\r\n`],
  ["bad Authorization scheme", `GET /api/query?path=docs:getByN&args=%7B%22n%22%3A1%7D HTTP/1.1\r\n${H}Authorization: Basic x\r\n\r\n`],
  ["empty request line", "\r\n\r\n\r\n"],
  ["binary garbage", Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7919) % 256))],
];

async function assertServing() {
  expect(backend.alive(), `backend died; stderr:\n${backend.stderr()}`).toBe(true);
  const version = await fetch(`${backend.url}/version`);
  expect(version.status).toBe(200);
  const query = await fetch(`${backend.url}/api/query`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ path: "docs:getByN", args: { n: 7 }, format: "json" }),
  });
  expect(query.status).toBe(200);
  expect(((await query.json()) as { value: { n: number } }).value.n).toBe(7);
  const action = await fetch(`${backend.siteUrl}/ok`);
  expect(action.status).toBe(200);
  expect(await action.text()).toBe("ok");
}

describe("hostile request lines and headers", () => {
  for (const port of ["API", "HTTP actions"] as const) {
    test(`crash by request line: no raw request on the ${port} port ends the process, and each gets a 4xx or no answer`, async () => {
      const origin = port === "API" ? backend.url : backend.siteUrl;
      const answers: Array<[string, number | null]> = [];
      for (const [name, payload] of CORPUS) {
        answers.push([name, await raw(origin, payload)]);
        expect(backend.alive(), `"${name}" killed the backend; stderr:\n${backend.stderr()}`).toBe(true);
      }
      // A half-sent request abandoned by the client (the socket ends mid-body) is no crash either.
      answers.push(["request abandoned mid-body", await raw(origin, `POST /api/query HTTP/1.1\r\nHost: a\r\nContent-Length: 50\r\n\r\n{`, true)]);
      const bad = answers.filter(([, status]) => status !== null && (status < 400 || status > 499));
      expect(bad).toEqual([]);
      // The requests whose only fault is the URL are refused as bad requests, not as server errors.
      const byName = new Map(answers);
      expect(byName.get("absolute URL, port out of range")).toBe(400);
      expect(byName.get("absolute URL, unterminated IPv6 host")).toBe(400);
      await assertServing();
      expect(backend.stderr()).not.toMatch(/\n\s+at /);
    }, 120_000);
  }
});

describe("protocol garbage over the HTTP API", () => {
  // Bodies of the right JSON syntax but the wrong shape, on every function endpoint.
  const BODIES: Array<[name: string, body: unknown]> = [
    ["path is a number", { path: 5, args: {} }],
    ["path is null", { path: null, args: {} }],
    ["path is an object", { path: { a: 1 }, args: {} }],
    ["path has invalid characters", { path: "docs:getByN\u0000", args: { n: 1 } }],
    ["path is 100 KB", { path: `docs:${"a".repeat(100_000)}`, args: {} }],
    ["args is a number", { path: "docs:getByN", args: 5 }],
    ["args is a string", { path: "docs:getByN", args: "n=1" }],
    ["args is true", { path: "docs:getByN", args: true }],
    ["args has two positional values", { path: "docs:getByN", args: [{ n: 1 }, { n: 2 }] }],
    ["args is [5]", { path: "docs:getByN", args: [5] }],
    ["args is [null]", { path: "docs:getByN", args: [null] }],
    ["args is [[]]", { path: "docs:getByN", args: [[]] }],
    ["format is a number", { path: "docs:getByN", args: { n: 1 }, format: 5 }],
    ["format is an object", { path: "docs:getByN", args: { n: 1 }, format: {} }],
    ["body is null", null],
    ["body is an array", [{ path: "docs:getByN" }]],
  ];
  for (const endpoint of ["/api/query", "/api/mutation", "/api/action", "/api/function"]) {
    test(`protocol garbage: malformed ${endpoint} bodies get 400 with a readable message, never a 500`, async () => {
      const answers: Array<{ name: string; status: number; body: string }> = [];
      for (const [name, body] of BODIES) {
        const r = await fetch(`${backend.url}${endpoint}`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(body),
        });
        answers.push({ name, status: r.status, body: await r.text() });
      }
      expect(answers.filter((a) => a.status !== 400).map((a) => `${a.name}: ${a.status} ${a.body.slice(0, 200)}`)).toEqual([]);
      for (const a of answers) {
        const parsed = JSON.parse(a.body) as { code: string; message: string };
        expect(parsed.code, a.name).toMatch(/^[A-Za-z]+$/);
        expect(parsed.message.length, a.name).toBeGreaterThan(10);
        expect(parsed.message, a.name).not.toMatch(/Cannot read properties|undefined is not|at .*\.ts:/);
      }
      await assertServing();
    }, 60_000);
  }

  test("protocol garbage: an acting-as identity that is not a JSON object gets 400, not a 500", async () => {
    for (const identity of ["null", "5", '"x"', "[]"]) {
      const r = await fetch(`${backend.url}/api/query`, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Authorization: `Convex ${backend.adminKey}:${Buffer.from(identity).toString("base64")}`,
        },
        body: JSON.stringify({ path: "docs:getByN", args: { n: 1 } }),
      });
      expect(r.status, identity).toBe(400);
      expect(((await r.json()) as { code: string }).code).toBe("BadActingAsIdentity");
    }
  });

  test("protocol garbage: malformed GET /api/query arguments get 400", async () => {
    for (const args of ["5", '"x"', "[1,2]", "[null]", "{"]) {
      const r = await fetch(`${backend.url}/api/query?path=docs:getByN&args=${encodeURIComponent(args)}`);
      expect(r.status, args).toBe(400);
    }
    const ok = await fetch(`${backend.url}/api/query?path=docs:getByN&args=${encodeURIComponent('{"n":3}')}`);
    expect(((await ok.json()) as { value: { n: number } }).value.n).toBe(3);
  });
});
