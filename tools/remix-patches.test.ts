import { createRequire } from "node:module";
import { describe, expect, test, vi } from "vitest";

// patches/@remix-run+server-runtime, @remix-run+react and react-router-dom (ADR 016, eighth round):
// per-build work that Remix 2 redid on every document request is done once per build, and the
// document's handoff stream (turbo-stream encoding every loader's data for <Scripts/>) is encoded
// only when read. `npm ci` applies them (postinstall). What they must not change: what a request
// gets, with or without <Scripts/>; and a new build (dev's HMR) must not get the old one's objects.

// The files the server loads (Node resolves these packages' CommonJS "main").
const require = createRequire(import.meta.url);
const entry = require("@remix-run/server-runtime/dist/entry.js");
const singleFetch = require("@remix-run/server-runtime/dist/single-fetch.js");
const { createRequestHandler } = require("@remix-run/server-runtime") as typeof import("@remix-run/server-runtime");
const remixRoutes = require("@remix-run/react/dist/routes.js");
const { createStaticHandler, createStaticRouter } = require("react-router-dom/server") as typeof import("react-router-dom/server");

const manifestOf = () => ({
  root: { id: "root", path: "", module: { default: () => null, loader: () => ({ hello: "world" }) } },
  "routes/x": { id: "routes/x", parentId: "root", path: "x", module: { default: () => null } },
});

describe("per-build work done once per build", () => {
  test("route modules: one object per build manifest", () => {
    const a = manifestOf();
    expect(entry.createEntryRouteModules(a)).toBe(entry.createEntryRouteModules(a));
    expect(entry.createEntryRouteModules(a)).toEqual({ root: a.root.module, "routes/x": a["routes/x"].module });
    expect(entry.createEntryRouteModules(manifestOf())).not.toBe(entry.createEntryRouteModules(a));
  });

  test("server routes: the same tree for the same manifest and modules, a new one when the modules change", () => {
    const routes = { root: { id: "root", path: "", hasLoader: true }, x: { id: "x", parentId: "root", path: "x" } };
    const modules = { root: { default: () => null }, x: { default: () => null } };
    const future = {};
    const first = remixRoutes.createServerRoutes(routes, modules, future, false);
    expect(remixRoutes.createServerRoutes(routes, modules, future, false)).toBe(first);
    expect(first).toMatchObject([{ id: "root", path: "", children: [{ id: "x", path: "x" }] }]);
    const reloaded = { ...modules, x: { default: () => null } };
    const second = remixRoutes.createServerRoutes(routes, reloaded, future, false);
    expect(second).not.toBe(first);
    expect(second[0].children[0].Component).toBe(reloaded.x.default);
  });

  test("static router: the same data routes for the same tree; each request's matches and state its own", async () => {
    const tree = [{ id: "root", path: "/", children: [{ id: "a", path: "a/:id" }] }];
    const handler = createStaticHandler(tree);
    const contextA = (await handler.query(new Request("http://x/a/1"))) as Exclude<Awaited<ReturnType<typeof handler.query>>, Response>;
    const contextB = (await handler.query(new Request("http://x/a/2"))) as typeof contextA;
    const one = createStaticRouter(tree, contextA);
    const two = createStaticRouter(tree, contextB);
    expect(two.routes).toBe(one.routes);
    expect(one.state.matches.at(-1)?.params).toEqual({ id: "1" });
    expect(two.state.matches.at(-1)?.params).toEqual({ id: "2" });
    expect(one.state.location.pathname).toBe("/a/1");
  });
});

describe("the document's handoff stream", () => {
  const build = (readHandoff: boolean) => ({
    mode: "production",
    basename: "/",
    future: { v3_singleFetch: true },
    isSpaMode: false,
    publicPath: "/build/",
    assetsBuildDirectory: "build/client",
    routes: manifestOf(),
    assets: { version: "1", url: "/m.js", entry: { module: "/e.js", imports: [] }, routes: { root: { id: "root", path: "", hasLoader: true, module: "/r.js" }, "routes/x": { id: "routes/x", parentId: "root", path: "x", module: "/x.js" } } },
    entry: {
      module: {
        // A document that reads the stream (as <Scripts/> does) shows what it carried.
        default: async (_request: Request, status: number, headers: Headers, context: { serverHandoffStream: ReadableStream<Uint8Array> }) => {
          let carried = "";
          if (readHandoff) carried = await new Response(context.serverHandoffStream).text();
          return new Response(`document ${carried}`, { status, headers });
        },
      },
    },
  });

  test("is not encoded for a document that does not read it (no <Scripts/>)", async () => {
    const encode = vi.spyOn(singleFetch, "encodeViaTurboStream");
    try {
      const res = await createRequestHandler(build(false) as never)(new Request("http://x/x"));
      expect(await res.text()).toBe("document ");
      expect(encode).not.toHaveBeenCalled();
    } finally {
      encode.mockRestore();
    }
  });

  test("carries every loader's data to a document that reads it", async () => {
    const res = await createRequestHandler(build(true) as never)(new Request("http://x/x"));
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).toContain("hello");
    expect(text).toContain("world");
  });
});

describe("a request's loaders", () => {
  const handlerSeeing = (seen: Request[]) => {
    const loader = ({ request }: { request: Request }) => {
      seen.push(request);
      return { ok: true };
    };
    const routes = {
      root: { id: "root", path: "", module: { default: () => null, loader } },
      "routes/x": { id: "routes/x", parentId: "root", path: "x", module: { default: () => null, loader } },
    };
    const assets = {
      version: "1",
      url: "/m.js",
      entry: { module: "/e.js", imports: [] },
      routes: { root: { id: "root", path: "", hasLoader: true, module: "/r.js" }, "routes/x": { id: "routes/x", parentId: "root", path: "x", hasLoader: true, module: "/x.js" } },
    };
    const document = async (_r: Request, status: number, headers: Headers) => new Response("document", { status, headers });
    const build = { mode: "production", basename: "/", future: { v3_singleFetch: true }, isSpaMode: false, publicPath: "/build/", assetsBuildDirectory: "build/client", routes, assets, entry: { module: { default: document } } };
    return createRequestHandler(build as never);
  };

  test("share one Request object when there is nothing to strip, so what the app memoises on it is shared", async () => {
    const seen: Request[] = [];
    const res = await handlerSeeing(seen)(new Request("http://x/x?cursor=abc", { headers: { cookie: "a=1" } }));
    expect(res.status).toBe(200);
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBe(seen[1]);
    expect(seen[0].url).toBe("http://x/x?cursor=abc");
    expect(seen[0].headers.get("cookie")).toBe("a=1");
  });

  test("with Remix's own parameters, still get them stripped", async () => {
    const seen: Request[] = [];
    await handlerSeeing(seen)(new Request("http://x/x?_routes=root&index&cursor=abc"));
    expect(seen.length).toBeGreaterThan(0);
    for (const r of seen) expect(r.url).toBe("http://x/x?cursor=abc");
  });
});
