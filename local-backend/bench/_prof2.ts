import { statSync } from "node:fs";
import { LocalBackend } from "../src/backend.js";
import { FIXTURE_CONVEX_DIR, payloadFor } from "./lib.js";
const dataDir = "/tmp/lb-prof";
const backend = await LocalBackend.start({ dataDir, convexDir: FIXTURE_CONVEX_DIR });
const wal = () => { try { return statSync(dataDir + "/convex.sqlite3-wal").size; } catch { return -1; } };
let i = 0;
for (let round = 0; round < 8; round++) {
  const t0 = performance.now();
  const lat: number[] = [];
  for (let k = 0; k < 500; k++) {
    const a = performance.now();
    const o = await backend.runner.runMutation("docs:insert", { n: 2e9 + i, group: "inserted", payload: payloadFor(i++) });
    lat.push(performance.now() - a);
    if (!o.ok) throw new Error(o.message);
  }
  lat.sort((a, b) => a - b);
  console.log(`round ${round}: ${(500 / ((performance.now() - t0) / 1000)).toFixed(0)}/s p50 ${lat[250].toFixed(2)} p99 ${lat[495].toFixed(2)} wal ${(wal() / 2 ** 20).toFixed(1)} MB`);
}
await backend.close();
