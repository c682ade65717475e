import http from "node:http";
import https from "node:https";

// The `fetch` the app's ConvexHttpClients use (issue #18, ADR 016 step 4). Node's WHATWG fetch
// (undici's, with its web streams, transferable bodies and Request/Response objects) cost 5–13 ms
// of an app worker's CPU per uncached reader page in `npm run profile`: more than React's render.
// ConvexHttpClient reads only `ok`, `status`, `text()` and `json()` of a response and sends a
// string body, so a plain node:http request on a keep-alive agent does the same job.

/** What ConvexHttpClient reads of a response. */
export interface ConvexFetchResponse {
  readonly ok: boolean;
  readonly status: number;
  text(): Promise<string>;
  json(): Promise<unknown>;
}

interface ConvexFetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

// One pool per process and scheme, as fetch's global dispatcher is. Node's agent drops an idle
// socket before the server's advertised keep-alive timeout, which avoids most stale-socket races.
const agents = {
  "http:": new http.Agent({ keepAlive: true, maxSockets: 128 }),
  "https:": new https.Agent({ keepAlive: true, maxSockets: 128 }),
};

// undici's fetch gives up on a response whose headers or body stall for 300 s; so does this.
const STALL_MS = 300_000;

/**
 * A query is a read, so one sent on a kept-alive socket the server had already closed (ECONNRESET
 * before any response) is sent again on a new one, as Node's docs advise. Mutations and actions
 * are never re-sent: the server may have run them.
 */
const isRetryable = (url: URL, err: NodeJS.ErrnoException, reused: boolean) =>
  reused && err.code === "ECONNRESET" && /\/api\/query(_at_ts)?$/.test(url.pathname);

function send(url: URL, init: ConvexFetchInit, retried: boolean): Promise<ConvexFetchResponse> {
  const scheme = url.protocol === "https:" ? "https:" : url.protocol === "http:" ? "http:" : null;
  if (!scheme) return Promise.reject(new TypeError(`convexFetch: unsupported URL scheme ${url.protocol}`));
  const body = init.body ?? "";
  return new Promise((resolve, reject) => {
    const req = (scheme === "https:" ? https : http).request(
      url,
      {
        method: init.method ?? "GET",
        headers: { ...init.headers, "content-length": String(Buffer.byteLength(body)) },
        agent: agents[scheme],
        timeout: STALL_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const status = res.statusCode ?? 0;
          resolve({
            ok: status >= 200 && status < 300,
            status,
            text: () => Promise.resolve(text),
            json: () => new Promise((ok) => ok(JSON.parse(text))),
          });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`convexFetch: no response from ${url.origin} in ${STALL_MS / 1000} s`)));
    req.on("error", (err: NodeJS.ErrnoException) => {
      if (!retried && isRetryable(url, err, req.reusedSocket)) send(url, init, true).then(resolve, reject);
      else reject(err);
    });
    req.end(body);
  });
}

/** A `fetch` for ConvexHttpClient's `fetch` option: POSTs a string body, reads the whole response. */
export function convexFetch(input: string | URL, init: ConvexFetchInit = {}): Promise<ConvexFetchResponse> {
  let url: URL;
  try {
    url = typeof input === "string" ? new URL(input) : input;
  } catch (e) {
    return Promise.reject(e);
  }
  return send(url, init, false);
}

/** The same, typed as ConvexHttpClient's option takes it. */
export const convexFetchOption = convexFetch as unknown as typeof fetch;
