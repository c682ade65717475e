import { LocalBackend } from "../src/backend.js";
import { Transaction } from "../src/runtime/transaction.js";
import { FIXTURE_CONVEX_DIR, makeOp, measure, runChild, sampleCpu } from "./lib.js";
if (process.argv[2] === "fix") {
  const orig = Transaction.prototype.writes;
  Transaction.prototype.writes = function (this: Transaction) { const w = orig.call(this); this.snapshot.release(); return w; };
}
const backend = await LocalBackend.start({ dataDir: "/tmp/lb-prof", convexDir: FIXTURE_CONVEX_DIR, port: 0 });
for (const transport of ["fetch", "agent"]) {
  const cpu = sampleCpu();
  const res: any = await runChild("httpLoad.ts", { url: backend.url, docs: 100000, runs: [{ label: "x", clients: 10, ops: ["insert"], durationMs: 3000, transport }] }, 60000);
  cpu.stop();
  const m = res.x.insert;
  console.log(process.argv[2] ?? "as-is", transport, m.opsPerSec.toFixed(0), "ops/s; server CPU µs/op", (cpu.between(m.startEpochMs, m.endEpochMs) / m.ops).toFixed(0), "p50", m.p50.toFixed(2));
}
const caller = { query: async () => null, mutation: async (p: string, a: any) => { const o = await backend.runner.runMutation(p, a); if (!o.ok) throw new Error(o.message); } };
const m = await measure([makeOp("insert", caller as any, 100000, 77)], { durationMs: 3000 });
console.log(process.argv[2] ?? "as-is", "in-process", m.opsPerSec.toFixed(0), "ops/s; cpu µs/op", m.cpuUsPerOp.toFixed(0));
await backend.close();
