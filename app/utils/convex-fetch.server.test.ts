import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { ConvexError, jsonToConvex } from "convex/values";
import { ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import { afterEach, describe, expect, test } from "vitest";
import { convexFetch, convexFetchOption } from "./convex-fetch.server";

// The app's Convex HTTP transport against a real HTTP server on 127.0.0.1 speaking the part of
// Convex's HTTP API ConvexHttpClient uses. The backend end to end is covered by the integration
// suites, whose app requests all go through this fetch.

type Handler = (req: http.IncomingMessage, body: string, res: http.ServerResponse, socket: Socket) => void;

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function serve(handler: Handler): Promise<{ url: string; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (body += c));
    req.on("end", () => handler(req, body, res, req.socket));
  });
  server.on("connection", (s) => sockets.add(s));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  server.unref();
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, sockets };
}

const json = (res: http.ServerResponse, status: number, value: unknown) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
};

describe("convexFetch: the app's transport to Convex", () => {
  test("sends the method, headers and body; reads status, text and JSON; reuses one kept-alive socket", async () => {
    const seen: Array<{ method?: string; type?: string; auth?: string; body: string }> = [];
    const { url, sockets } = await serve((req, body, res) => {
      seen.push({ method: req.method, type: req.headers["content-type"], auth: req.headers.authorization, body });
      json(res, req.url === "/missing" ? 404 : 200, { echo: JSON.parse(body) });
    });
    const init = { method: "POST", headers: { "Content-Type": "application/json", Authorization: "Bearer t" }, body: '{"a":"é"}' };
    const ok = await convexFetch(`${url}/api/query`, init);
    expect([ok.ok, ok.status]).toEqual([true, 200]);
    expect(await ok.json()).toEqual({ echo: { a: "é" } });
    const missing = await convexFetch(`${url}/missing`, init);
    expect([missing.ok, missing.status]).toEqual([false, 404]);
    expect(JSON.parse(await missing.text())).toEqual({ echo: { a: "é" } });
    expect(seen).toEqual([
      { method: "POST", type: "application/json", auth: "Bearer t", body: '{"a":"é"}' },
      { method: "POST", type: "application/json", auth: "Bearer t", body: '{"a":"é"}' },
    ]);
    expect(sockets.size).toBe(1);
  });

  test("ConvexHttpClient over it: values decoded, a ConvexError keeps its data, the JWT is sent", async () => {
    const { url } = await serve((req, body, res) => {
      const { path, args } = JSON.parse(body) as { path: string; args: unknown[] };
      if (path === "reader:fails") return json(res, 560, { status: "error", errorMessage: "nope", errorData: { code: "NOT_FOUND" }, logLines: [] });
      json(res, 200, { status: "success", value: { path, args: jsonToConvex(args as never), auth: req.headers.authorization ?? null }, logLines: [] });
    });
    const client = new ConvexHttpClient(url, { fetch: convexFetchOption, logger: false });
    client.setAuth("jwt-1");
    expect(await client.query(anyApi.reader.postPage, { slug: "a" })).toEqual({ path: "reader:postPage", args: [{ slug: "a" }], auth: "Bearer jwt-1" });
    const err = await client.query(anyApi.reader.fails, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConvexError);
    expect((err as ConvexError<{ code: string }>).data).toEqual({ code: "NOT_FOUND" });
  });

  test("a query sent on a kept-alive socket the server dropped is sent again; a mutation is not", async () => {
    // The server drops a connection on its second request without answering: what a client sees
    // when the server closed an idle socket just as the client reused it.
    const perSocket = new Map<Socket, number>();
    const received: string[] = [];
    const { url } = await serve((req, _body, res, socket) => {
      received.push(req.url!);
      const n = (perSocket.get(socket) ?? 0) + 1;
      perSocket.set(socket, n);
      if (n === 2) return socket.destroy();
      json(res, 200, { n });
    });
    const post = (path: string) => convexFetch(`${url}${path}`, { method: "POST", body: "{}" });
    await post("/api/query");
    const again = await post("/api/query");
    expect(await again.json()).toEqual({ n: 1 }); // answered on a fresh socket
    expect(received).toEqual(["/api/query", "/api/query", "/api/query"]);

    // The fresh socket has answered once; the mutation is its second request, so it is dropped.
    await expect(post("/api/mutation")).rejects.toMatchObject({ code: "ECONNRESET" });
    expect(received.filter((p) => p === "/api/mutation")).toHaveLength(1); // never re-sent
  });

  test("bad targets reject with an error instead of crashing", async () => {
    await expect(convexFetch("not a url")).rejects.toThrow();
    await expect(convexFetch("ftp://127.0.0.1/x")).rejects.toThrow(/unsupported URL scheme/);
    const { url } = await serve((_req, _body, res) => json(res, 200, {}));
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
    await expect(convexFetch(`${url}/api/query`, { method: "POST", body: "{}" })).rejects.toMatchObject({ code: expect.stringMatching(/ECONNREFUSED|ECONNRESET/) });
  });
});
