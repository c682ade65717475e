import http from "node:http";
import type { AddressInfo } from "node:net";

// A DNS-over-HTTPS resolver for tests (the JSON API of Cloudflare/Google: GET ?name=&type=TXT),
// on 127.0.0.1. Point the backend's DNS_RESOLVER_URL at `url` and set TXT records with `txt`.

export interface DnsFake {
  url: string;
  /** Sets the TXT strings of `name` (none: the name does not exist). */
  txt(name: string, ...values: string[]): void;
  /** Makes every lookup fail with SERVFAIL (true) or answer again (false). */
  failing(on: boolean): void;
  lookups: number;
  close(): Promise<void>;
}

export async function startDnsFake(): Promise<DnsFake> {
  const records = new Map<string, string[]>();
  let fail = false;
  const fake = { lookups: 0 } as DnsFake;
  const server = http.createServer((req, res) => {
    fake.lookups++;
    const q = new URL(req.url ?? "/", "http://dns");
    const name = (q.searchParams.get("name") ?? "").toLowerCase().replace(/\.$/, "");
    const values = records.get(name);
    const body = fail
      ? { Status: 2 }
      : !values?.length
        ? { Status: 3, Question: [{ name, type: 16 }] }
        : { Status: 0, Question: [{ name, type: 16 }], Answer: values.map((v) => ({ name: `${name}.`, type: 16, TTL: 60, data: JSON.stringify(v) })) };
    res.writeHead(200, { "Content-Type": "application/dns-json" });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  // Never keeps a test process alive.
  server.unref();
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dns-query`;
  fake.txt = (name, ...values) => void records.set(name.toLowerCase(), values);
  fake.failing = (on) => void (fail = on);
  fake.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return fake;
}
