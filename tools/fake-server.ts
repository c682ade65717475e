import http from "node:http";
import type { AddressInfo } from "node:net";

// The HTTP server every local fake of a third-party API runs on (tools/stripe-fake,
// tools/resend-fake): 127.0.0.1 by default, a handler error answered by the fake's own error
// shape and logged under its name, and a close that ends kept-alive connections.

export interface FakeServer {
  host: string;
  port: number;
  /** `http://host:port` */
  url: string;
  close(): Promise<void>;
}

export async function serveFake(
  name: string,
  handle: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<unknown>,
  /** Answers a request whose handler threw (headers not sent yet): the fake API's 500. */
  answerError: (res: http.ServerResponse, error: Error) => void,
  options: { host?: string; port?: number } = {},
): Promise<FakeServer> {
  const server = http.createServer((req, res) => {
    handle(req, res).catch((e) => {
      console.error(`[${name}]`, e);
      if (!res.headersSent) answerError(res, e as Error);
      else res.end();
    });
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    host,
    port,
    url: `http://${host}:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
