/**
 * The deploy API the official CLI speaks to a self-hosted deployment (`CONVEX_SELF_HOSTED_URL`):
 * `/api/get_config_hashes` and `/api/deploy2/*`, as routed by get-convex/convex-backend
 * (crates/local_backend/src/router.rs, deploy_config2.rs). The work is in runtime/push.ts.
 */
import type http from "node:http";
import zlib from "node:zlib";
import type { BackendHost } from "./host.js";
import { PushError, Pushes } from "../runtime/push.js";
import { HttpError, readBody, sendJson } from "./io.js";

/** Compressed push bodies are capped here, decompressed ones at MAX_DECODED. */
const MAX_BODY = 64 * 2 ** 20;
const MAX_DECODED = 256 * 2 ** 20;

export const DEPLOY_ROUTES = new Set([
  "/api/get_config_hashes",
  "/api/deploy2/start_push",
  "/api/deploy2/evaluate_push",
  "/api/deploy2/wait_for_schema",
  "/api/deploy2/finish_push",
  "/api/deploy2/report_push_completed",
  "/api/v1/get_canonical_urls",
  // Answered 404 (below): the CLI then skips its advisory schema checks, as for older backends.
  "/api/deploy2/evaluate_schema",
]);

const pushesOf = new WeakMap<BackendHost, Pushes>();

function pushes(backend: BackendHost): Pushes {
  let p = pushesOf.get(backend);
  if (!p) pushesOf.set(backend, (p = new Pushes(backend)));
  return p;
}


/** The body as a JSON object; the CLI compresses large pushes (br, gzip). */
async function readJson(req: http.IncomingMessage): Promise<any> {
  let raw = await readBody(req, MAX_BODY);
  const encoding = String(req.headers["content-encoding"] ?? "identity").toLowerCase();
  try {
    if (encoding === "br") raw = zlib.brotliDecompressSync(raw, { maxOutputLength: MAX_DECODED });
    else if (encoding === "gzip") raw = zlib.gunzipSync(raw, { maxOutputLength: MAX_DECODED });
    else if (encoding !== "identity") throw new HttpError(415, "UnsupportedEncoding", `Content-Encoding ${encoding} is not supported.`);
  } catch (e) {
    if (e instanceof HttpError) throw e;
    throw new HttpError(400, "BadBody", `The request body could not be decompressed: ${(e as Error).message}`);
  }
  try {
    const body = raw.length ? JSON.parse(raw.toString("utf8")) : {};
    if (body === null || typeof body !== "object" || Array.isArray(body)) throw new Error("not a JSON object");
    return body;
  } catch (e) {
    throw new HttpError(400, "BadJsonBody", `The request body is not a JSON object: ${(e as Error).message}`);
  }
}

/** Deploy routes take the admin key in the body (as Convex's do) or in `Authorization: Convex <key>`. */
function requireAdmin(backend: BackendHost, req: http.IncomingMessage, body: any) {
  const header = req.headers.authorization;
  const fromHeader = header && header.slice(0, 7).toLowerCase() === "convex " ? header.slice(7).trim() : undefined;
  const key = typeof body.adminKey === "string" ? body.adminKey : fromHeader;
  if (key !== backend.adminKey) {
    throw new PushError(401, "BadAdminKey", "The provided admin key was invalid for this instance.");
  }
}

async function route(backend: BackendHost, req: http.IncomingMessage, pathname: string): Promise<unknown> {
  if (pathname === "/api/v1/get_canonical_urls" && req.method === "GET") {
    requireAdmin(backend, req, {});
    return { convexCloudUrl: backend.url, convexSiteUrl: backend.siteUrl };
  }
  if (req.method !== "POST") throw new PushError(405, "MethodNotAllowed", `${req.method} is not allowed on ${pathname}.`);
  const body = await readJson(req);
  requireAdmin(backend, req, body);
  const p = pushes(backend);
  switch (pathname) {
    case "/api/get_config_hashes":
      return p.configHashes();
    case "/api/deploy2/start_push":
      return p.start(body);
    case "/api/deploy2/evaluate_push": {
      // Everything start_push checks, then forgotten: only the schema change is reported.
      const started: any = await p.start({ ...body, dryRun: true });
      await p.finish({ startPush: started, dryRun: true });
      return { schemaChange: started.schemaChange };
    }
    case "/api/deploy2/wait_for_schema":
      return p.waitForSchema(body);
    case "/api/deploy2/finish_push":
      return p.finish(body);
    case "/api/deploy2/report_push_completed":
      return null;
  }
  throw new PushError(404, "NotFound", `${pathname} is not supported by this backend.`);
}

/** Answers one deploy request; errors are `{code, message}` with a 4xx, never a crash. */
export function handleDeployRequest(backend: BackendHost, req: http.IncomingMessage, res: http.ServerResponse, pathname: string) {
  route(backend, req, pathname).then(
    (body) => sendJson(res, 200, body),
    (e) => {
      if (e instanceof PushError || e instanceof HttpError) return sendJson(res, e.status, { code: e.code, message: e.message });
      console.error("[local-backend] push failed", e);
      sendJson(res, 500, { code: "InternalServerError", message: `Internal error while pushing: ${(e as Error)?.message}` });
    },
  );
}
