import { existsSync } from "node:fs";
import { LocalBackend } from "../src/backend.js";
import { FIXTURE_CONVEX_DIR, makeOp, measure, type Caller } from "./lib.js";
import { convexToJson, jsonToConvex } from "convex/values";
const dataDir = "/tmp/lb-prof";
const fresh = !existsSync(dataDir);
const backend = await LocalBackend.start({ dataDir, convexDir: FIXTURE_CONVEX_DIR });
if (fresh) for (let s = 0; s < 100000; s += 1000) await backend.runner.runMutation("docs:insertMany", { start: s, count: 1000 }, { allowInternal: true });
const caller: Caller = {
  query: async (p, a) => { const o = await backend.runner.runQuery(p, convexToJson(a as any) as any); if (!o.ok) throw new Error(o.message); return jsonToConvex(JSON.parse(o.valueJson)); },
  mutation: async (p, a) => { const o = await backend.runner.runMutation(p, convexToJson(a as any) as any); if (!o.ok) throw new Error(o.message); return jsonToConvex(JSON.parse(o.valueJson)); },
};
const op = (process.argv[2] ?? "insert") as any;
const m = await measure([makeOp(op, caller, 100000, Number(process.argv[3] ?? 0))], { durationMs: 3000 });
console.log(op, m);
await backend.close();
