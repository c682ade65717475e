import { statSync } from "node:fs";
import { LocalBackend } from "../src/backend.js";
import { Transaction } from "../src/runtime/transaction.js";
import { FIXTURE_CONVEX_DIR, payloadFor } from "./lib.js";
const dataDir = "/tmp/lb-prof";
if (process.argv[2] === "fix") {
  const orig = Transaction.prototype.writes;
  Transaction.prototype.writes = function (this: Transaction) {
    const w = orig.call(this);
    this.snapshot.release(); // before the store commits, so the WAL can be checkpointed and reset
    return w;
  };
}
const backend = await LocalBackend.start({ dataDir, convexDir: FIXTURE_CONVEX_DIR });
const wal = () => { try { return statSync(dataDir + "/convex.sqlite3-wal").size; } catch { return -1; } };
let i = 0;
for (let round = 0; round < 6; round++) {
  const t0 = performance.now();
  const lat: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let k = 0; k < 1000; k++) {
    const a = performance.now();
    const o = await backend.runner.runMutation("docs:insert", { n: 2e9 + i, group: "inserted", payload: payloadFor(i++) });
    lat.push(performance.now() - a);
    if (!o.ok) throw new Error(o.message);
  }
  const cpu = process.cpuUsage(cpu0);
  lat.sort((a, b) => a - b);
  console.log(`${process.argv[2] ?? "as-is"} round ${round}: ${(1000 / ((performance.now() - t0) / 1000)).toFixed(0)}/s p50 ${lat[500].toFixed(3)} p99 ${lat[990].toFixed(2)} ms, cpu ${((cpu.user + cpu.system) / 1000).toFixed(0)} µs/op, wal ${(wal() / 2 ** 20).toFixed(1)} MB`);
}
await backend.close();
