import http from "node:http";
import type { AddressInfo } from "node:net";
import type { BackendHost } from "./host.js";
import { clientGone, requestUrl, type HttpServer } from "./server.js";

const MAX_BODY = 20 * 2 ** 20;

/** A client fault: answered with its status and message, not logged as a server failure. */
function clientError(status: number, message: string): Error {
  return Object.assign(new Error(message), { status });
}

/** Reads a Node request into a Fetch API Request (bodies up to Convex's 20 MiB). */
async function toRequest(req: http.IncomingMessage, origin: string): Promise<Request> {
  // Checked before the body is read: an absolute-form target such as http://a:99999/ is not a URL.
  const url = requestUrl(req);
  if (!url) throw clientError(400, "The request target is not a valid URL.");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw clientError(413, `Request body exceeds ${MAX_BODY} bytes.`);
    chunks.push(c);
  }
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (Array.isArray(v)) for (const x of v) headers.append(k, x);
    else if (v !== undefined) headers.set(k, v);
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  try {
    return new Request(`${origin}${url.pathname}${url.search}`, {
      method: req.method,
      headers,
      body: hasBody ? Buffer.concat(chunks) : undefined,
    });
  } catch (e) {
    // The Fetch API refuses some requests Node's parser accepts (TRACE, CONNECT): the client's fault.
    throw clientError(400, `This request cannot be served: ${(e as Error).message}`);
  }
}

async function writeResponse(res: http.ServerResponse, response: Response) {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, key) => {
    if (key === "set-cookie") return;
    headers[key] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length) headers["set-cookie"] = cookies;
  const body = response.body ? Buffer.from(await response.arrayBuffer()) : null;
  if (body && !response.headers.has("content-length")) headers["content-length"] = String(body.length);
  res.writeHead(response.status, headers);
  res.end(body ?? undefined);
}

/**
 * The site origin (Convex's `*.convex.site`, port 3211 locally): serves `convex/http.ts` routes.
 * An invalid bearer token does not fail the request; the action just runs unauthenticated.
 */
export async function startSiteServer(
  getBackend: () => BackendHost | undefined,
  { port, host }: { port: number; host: string },
): Promise<HttpServer> {
  let origin = "";
  const server = http.createServer((req, res) => {
    const backend = getBackend();
    if (!backend) {
      res.writeHead(503, { "Content-Type": "text/plain" }).end("The backend is starting.");
      return;
    }
    const started = performance.now();
    (async () => {
      const request = await toRequest(req, origin);
      const identity = await backend.identityForHttpAction(request.headers.get("authorization"));
      const { response, logLines, path } = await backend.runner.runHttpAction(request, identity);
      if (backend.options.logCalls) {
        console.log(`[local-backend] httpAction ${path} ${(performance.now() - started).toFixed(1)}ms ${response.status}`);
        for (const line of logLines) console.log(`  ${line}`);
      }
      await writeResponse(res, response);
    })().catch((e) => {
      // The client hung up mid-request: nobody to answer, nothing went wrong here.
      if (clientGone(req)) return;
      const status = (e as { status?: number }).status ?? 500;
      if (status === 500) console.error("[local-backend] http action failure", e);
      if (!res.headersSent) res.writeHead(status, { "Content-Type": "text/plain" });
      res.end(status === 500 ? "Internal server error." : (e as Error).message);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  origin = `http://${host}:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
