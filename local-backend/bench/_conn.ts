import { execSync } from "node:child_process";
import { LocalBackend } from "../src/backend.js";
import { FIXTURE_CONVEX_DIR, runChild } from "./lib.js";
const backend = await LocalBackend.start({ dataDir: "/tmp/lb-prof", convexDir: FIXTURE_CONVEX_DIR, port: 0 });
const port = backend.url.split(":").pop();
for (const transport of ["fetch", "agent"]) {
  const iv = setInterval(() => {
    const est = execSync(`ss -tnH state established '( sport = :${port} )' | wc -l`).toString().trim();
    const tw = execSync(`ss -tnH state time-wait '( sport = :${port} or dport = :${port} )' | wc -l`).toString().trim();
    console.log(`${transport}: established ${est}, time-wait ${tw}`);
  }, 1000);
  const res: any = await runChild("httpLoad.ts", { url: backend.url, docs: 100000, runs: [{ label: "x", clients: 10, ops: ["getByN"], durationMs: 3000, transport }] }, 60000);
  clearInterval(iv);
  console.log(transport, res.x.getByN.opsPerSec.toFixed(0), "ops/s");
}
await backend.close();
