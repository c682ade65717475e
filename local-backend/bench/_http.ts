import { LocalBackend } from "../src/backend.js";
import { FIXTURE_CONVEX_DIR, runChild } from "./lib.js";
const backend = await LocalBackend.start({ dataDir: "/tmp/lb-prof", convexDir: FIXTURE_CONVEX_DIR, port: 0 });
const dur = Number(process.argv[2] ?? 1000);
const ops = JSON.parse(process.argv[3] ?? '["getByN","page20","paginate20"]');
for (let r = 0; r < 3; r++) {
  const res: any = await runChild("httpLoad.ts", { url: backend.url, docs: 100000, runs: [{ label: "x", clients: Number(process.argv[4] ?? 10), ops, durationMs: dur }] }, 60000);
  console.log(Object.entries(res.x).map(([k, m]: any) => `${k} ${m.opsPerSec.toFixed(0)}/s p50 ${m.p50.toFixed(2)} p99 ${m.p99.toFixed(2)}`).join(" | "));
}
await backend.close();
