import { statSync } from "node:fs";
import { LocalBackend } from "../src/backend.js";
import { FIXTURE_CONVEX_DIR, makeOp, measure, type Caller } from "./lib.js";
import { convexToJson, jsonToConvex } from "convex/values";
const dataDir = "/tmp/lb-prof";
const backend = await LocalBackend.start({ dataDir, convexDir: FIXTURE_CONVEX_DIR });
const wal = () => { try { return (statSync(dataDir + "/convex.sqlite3-wal").size / 2 ** 20).toFixed(0) + " MB"; } catch { return "none"; } };
const caller: Caller = {
  query: async (p, a) => { const o = await backend.runner.runQuery(p, convexToJson(a as any) as any); if (!o.ok) throw new Error(o.message); return jsonToConvex(JSON.parse(o.valueJson)); },
  mutation: async (p, a) => { const o = await backend.runner.runMutation(p, convexToJson(a as any) as any); if (!o.ok) throw new Error(o.message); return jsonToConvex(JSON.parse(o.valueJson)); },
};
const show = (l: string, m: any) => console.log(`${l}: ${m.opsPerSec.toFixed(0)}/s p50 ${m.p50.toFixed(3)} p99 ${m.p99.toFixed(3)} wal ${wal()}`);
for (let r = 0; r < 4; r++) {
  show("getByN", await measure([makeOp("getByN", caller, 100000, r)], { durationMs: 2000 }));
  show("page20", await measure([makeOp("page20", caller, 100000, r)], { durationMs: 2000 }));
  show("insert", await measure([makeOp("insert", caller, 100000, 10 + r)], { durationMs: 3000 }));
}
await backend.close();
