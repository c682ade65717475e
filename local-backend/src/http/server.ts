import http from "node:http";
import type { AddressInfo } from "node:net";
import type { JSONValue } from "convex/values";
import type { BackendHost } from "./host.js";
import type { UserIdentity } from "../runtime/context.js";
import type { CallOptions, FunctionOutcome } from "../runtime/runner.js";
import { toCleanJson } from "./cleanJson.js";
import { functionArgs, functionPath, ProtocolError } from "./protocol.js";
import { handleStorageRequest } from "./storageRoutes.js";
import { handleAdminRequest, isAdminRoute } from "./admin.js";
import { HttpError, randomId, readBody } from "./io.js";
import { DEPLOY_ROUTES, handleDeployRequest } from "./deploy.js";

export interface HttpServer {
  url: string;
  close(): Promise<void>;
}

const MAX_BODY = 20 * 2 ** 20;


/**
 * The request's path and query as a URL on a fixed origin, or null when the request target does
 * not parse (an absolute-form target such as `http://a:99999/` is legal HTTP syntax but not a
 * valid URL). Only the path and query are used; the host is always ours.
 */
export function requestUrl(req: http.IncomingMessage): URL | null {
  const raw = req.url ?? "/";
  try {
    // Origin-form is appended, not resolved: "//evil/x" is a path here, not a host.
    const target = raw.startsWith("/") ? new URL(`http://local${raw}`) : new URL(raw);
    // Origin-form is already on our origin: one parse per request instead of two, unless a fragment must go.
    if (raw.startsWith("/") && target.hash === "") return target;
    return new URL(`http://local${target.pathname}${target.search}`);
  } catch {
    return null;
  }
}

/** Whether the client went away before its request was fully received (not a server failure). */
export function clientGone(req: http.IncomingMessage): boolean {
  return req.destroyed && !req.complete;
}


/**
 * Parses `Authorization`: `Convex <adminKey>[:<base64 identity>]` acts as admin (or as that user);
 * `Bearer <jwt>` is verified against convex/auth.config.ts, and a bad token is refused (401).
 */
async function authenticate(backend: BackendHost, header: string | undefined): Promise<CallOptions> {
  if (!header) return {};
  if (header.slice(0, 7).toLowerCase() === "convex ") {
    const rest = header.slice(7).trim();
    const colon = rest.indexOf(":", rest.indexOf("|") + 1);
    const key = colon >= 0 ? rest.slice(0, colon) : rest;
    if (key !== backend.adminKey) {
      throw new HttpError(401, "BadAdminKey", "The provided admin key was invalid for this instance.");
    }
    if (colon < 0) return { allowInternal: true };
    let identity: UserIdentity;
    try {
      identity = JSON.parse(Buffer.from(rest.slice(colon + 1), "base64").toString("utf8"));
    } catch {
      throw new HttpError(400, "BadActingAsIdentity", "The identity after the admin key is not base64-encoded JSON.");
    }
    if (identity === null || typeof identity !== "object" || Array.isArray(identity)) {
      throw new HttpError(400, "BadActingAsIdentity", "The identity after the admin key must be a JSON object.");
    }
    const issuer = (identity.issuer as string) ?? "https://convex.local";
    const subject = (identity.subject as string) ?? "admin-acting-as";
    return {
      allowInternal: true,
      identity: { ...identity, issuer, subject, tokenIdentifier: identity.tokenIdentifier ?? `${issuer}|${subject}` },
    };
  }
  if (header.slice(0, 7).toLowerCase() === "bearer ") {
    const token = header.slice(7).trim();
    try {
      return { identity: await backend.verifier.verify(token), authToken: token };
    } catch (e) {
      throw new HttpError(401, "Unauthenticated", (e as Error).message);
    }
  }
  throw new HttpError(401, "InvalidAuthHeader", "The Authorization header must be `Bearer <token>` or `Convex <adminKey>`.");
}

function cors(req: http.IncomingMessage, res: http.ServerResponse) {
  const origin = req.headers.origin;
  if (origin) {
    res.setHeader("Access-Control-Allow-Origin", origin);
    res.setHeader("Access-Control-Allow-Credentials", "true");
    res.setHeader("Vary", "Origin");
  }
}

function send(res: http.ServerResponse, status: number, body: string | Buffer, type = "application/json") {
  res.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

/** The body Convex's public API returns: HTTP 200 for success and for function errors. */
function envelope(backend: BackendHost, outcome: FunctionOutcome, requestId: string, clean: boolean): string {
  const logLines = outcome.logLines.length ? outcome.logLines : undefined;
  if (outcome.ok) {
    const value = clean ? JSON.stringify(toCleanJson(JSON.parse(outcome.valueJson))) : outcome.valueJson;
    return `{"status":"success","value":${value}${logLines ? `,"logLines":${JSON.stringify(logLines)}` : ""}}`;
  }
  const detail = backend.options.redactErrors ? "" : `\n${outcome.message}`;
  const body: Record<string, JSONValue> = {
    status: "error",
    errorMessage: `[Request ID: ${requestId}] Server Error${detail}`,
  };
  if (outcome.data !== undefined) body.errorData = clean ? (toCleanJson(outcome.data) as JSONValue) : outcome.data;
  if (logLines) body.logLines = logLines;
  return JSON.stringify(body);
}

/**
 * Encoded success bodies, by the result's read set. A query-cache hit returns its entry's own read
 * set and value string, so repeated hits write stored bytes instead of re-encoding the result each
 * time (and, for format "json", re-cleaning it: ~150 µs for a 4 KB result). A stored body is used
 * only for the same value and log lines it was made from, so no other result can be served from
 * it; it is collected with its cache entry (at most one copy per format of the entry's value).
 */
const successBodies = new WeakMap<object, { valueJson: string; logLines: string[]; json?: Buffer; encoded?: Buffer }>();

function responseBody(backend: Parameters<typeof envelope>[0], outcome: FunctionOutcome, requestId: string, clean: boolean): string | Buffer {
  if (!outcome.ok || !outcome.readSet) return envelope(backend, outcome, requestId, clean);
  let memo = successBodies.get(outcome.readSet);
  const lines = outcome.logLines;
  if (!memo || memo.valueJson !== outcome.valueJson || memo.logLines.length !== lines.length || memo.logLines.some((l, i) => l !== lines[i])) {
    memo = { valueJson: outcome.valueJson, logLines: [...lines] };
    successBodies.set(outcome.readSet, memo);
  }
  const format = clean ? "json" : "encoded";
  return (memo[format] ??= Buffer.from(envelope(backend, outcome, requestId, clean)));
}

type Kind = "query" | "mutation" | "action" | "any";

async function callFunction(
  backend: BackendHost,
  kind: Kind,
  path: string,
  args: JSONValue,
  opts: CallOptions,
): Promise<FunctionOutcome> {
  const r = backend.runner;
  if (kind === "query") return r.runQuery(path, args, opts);
  if (kind === "mutation") return r.runMutation(path, args, opts);
  if (kind === "action") return r.runAction(path, args, opts);
  return r.run(path, args, opts);
}

async function handleApi(backend: BackendHost, req: http.IncomingMessage, res: http.ServerResponse, url: URL) {
  const started = performance.now();
  const route = url.pathname;
  let kind: Kind;
  let path: unknown;
  let format: unknown = "json";
  let args: JSONValue = {};
  let componentPath = "";
  if (req.method === "GET" && route === "/api/query") {
    kind = "query";
    path = url.searchParams.get("path") ?? undefined;
    const rawArgs = url.searchParams.get("args");
    format = url.searchParams.get("format") ?? "json";
    try {
      args = functionArgs(rawArgs ? JSON.parse(rawArgs) : {});
    } catch (e) {
      if (e instanceof ProtocolError) throw e;
      throw new HttpError(400, "BadJsonBody", `The args query parameter is not valid JSON: ${(e as Error).message}`);
    }
  } else {
    if (req.method !== "POST") throw new HttpError(405, "MethodNotAllowed", `${req.method} is not allowed on ${route}.`);
    const text = (await readBody(req, MAX_BODY)).toString("utf8");
    let body: any;
    try {
      body = text.length ? JSON.parse(text) : {};
    } catch (e) {
      throw new HttpError(400, "BadJsonBody", `The request body is not valid JSON: ${(e as Error).message}`);
    }
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      throw new HttpError(400, "BadJsonBody", "The request body must be a JSON object.");
    }
    const runMatch = /^\/api\/run\/(.+)$/.exec(route);
    if (runMatch) {
      kind = "any";
      const parts = runMatch[1].split("/");
      const fn = parts.pop()!;
      path = `${parts.join("/")}:${fn}`;
    } else if (route === "/api/query" || route === "/api/mutation" || route === "/api/action") {
      kind = route.slice(5) as Kind;
      path = body.path;
    } else if (route === "/api/function") {
      kind = "any";
      path = body.path;
      // `npx convex run --component`: a component's function, for admin keys only (as Convex's UdfPostRequestWithComponent).
      if (body.componentPath !== undefined && body.componentPath !== null && typeof body.componentPath !== "string") {
        throw new HttpError(400, "BadRequest", "componentPath must be a string.");
      }
      componentPath = body.componentPath ?? "";
    } else {
      throw new HttpError(404, "NotFound", `No such endpoint: ${route}`);
    }
    format = body.format ?? (req.headers["convex-client"] ? "convex_encoded_json" : "json");
    args = functionArgs(body.args);
  }
  const fn = functionPath(path);
  if (format !== "json" && format !== "convex_encoded_json") {
    throw new HttpError(400, "BadRequest", `Unsupported format ${JSON.stringify(format)}: use "json" or "convex_encoded_json".`);
  }
  const opts = await authenticate(backend, req.headers.authorization);
  if (componentPath !== "" && !opts.allowInternal) {
    throw new HttpError(401, "BadAdminKey", "The provided admin key was invalid for this instance.");
  }
  const requestId = randomId();
  const outcome = await callFunction(backend, kind, fn, args, { ...opts, requestId, ...(componentPath ? { componentPath } : {}) });
  backend.logCall(kind, fn, outcome, performance.now() - started);
  send(res, 200, responseBody(backend, outcome, requestId, format === "json"));
}

/** Serves Convex's public HTTP API (the endpoints `ConvexHttpClient` uses) on 127.0.0.1. */
export async function startHttpServer(
  getBackend: () => BackendHost | undefined,
  { port, host }: { port: number; host: string },
): Promise<HttpServer> {
  const server = http.createServer((req, res) => {
    const backend = getBackend();
    if (!backend) {
      send(res, 503, JSON.stringify({ code: "Starting", message: "The backend is starting; try again in a moment." }));
      return;
    }
    const url = requestUrl(req);
    if (!url) {
      send(res, 400, JSON.stringify({ code: "BadRequest", message: "The request target is not a valid URL." }));
      return;
    }
    cors(req, res);
    if (req.method === "OPTIONS") {
      res.setHeader("Access-Control-Allow-Methods", "GET, POST, OPTIONS, PATCH, DELETE, PUT");
      res.setHeader("Access-Control-Allow-Headers", req.headers["access-control-request-headers"] ?? "*");
      res.setHeader("Access-Control-Max-Age", "86400");
      res.writeHead(204).end();
      return;
    }
    if (url.pathname === "/version" || url.pathname === "/instance_version") {
      send(res, 200, "local-backend", "text/plain");
      return;
    }
    if (!url.pathname.startsWith("/api/")) {
      send(res, 404, JSON.stringify({ code: "NotFound", message: `No such endpoint: ${url.pathname}` }));
      return;
    }
    if (url.pathname.startsWith("/api/storage/")) {
      void handleStorageRequest(backend.files, req, res, url);
      return;
    }
    if (isAdminRoute(url.pathname)) {
      void handleAdminRequest(backend, req, res, url, authenticate);
      return;
    }
    if (DEPLOY_ROUTES.has(url.pathname)) {
      handleDeployRequest(backend, req, res, url.pathname);
      return;
    }
    handleApi(backend, req, res, url).catch((e) => {
      if (e instanceof HttpError) {
        send(res, e.status, JSON.stringify({ code: e.code, message: e.message }));
      } else if (e instanceof ProtocolError) {
        send(res, 400, JSON.stringify({ code: e.code, message: e.message }));
      } else if (clientGone(req)) {
        // The client hung up mid-request: nobody to answer, nothing went wrong here.
      } else {
        console.error("[local-backend] internal error", e);
        send(res, 500, JSON.stringify({ code: "InternalServerError", message: "Internal server error." }));
      }
    });
  });
  server.on("upgrade", (req, socket, head) => {
    // Node hands the socket over without its error listener: a reset must not become uncaught.
    socket.on("error", () => socket.destroy());
    const refuse = (status: string) => socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    const url = requestUrl(req);
    if (!url) return refuse("400 Bad Request");
    const backend = getBackend();
    if (!backend) return refuse("503 Service Unavailable");
    if (!backend.sync.handleUpgrade(req, socket, head, url.pathname)) refuse("404 Not Found");
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${host}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
