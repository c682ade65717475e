import { LocalBackend } from "../src/backend.js";
import { Transaction } from "../src/runtime/transaction.js";
import { FIXTURE_CONVEX_DIR } from "./lib.js";
const backend = await LocalBackend.start({ dataDir: "/tmp/lb-prof", convexDir: FIXTURE_CONVEX_DIR });
const orig = Transaction.prototype.scan;
const calls: string[] = [];
Transaction.prototype.scan = function (this: Transaction, ...a: Parameters<typeof orig>) {
  const r = orig.apply(this, a);
  calls.push(`scan(limit=${a[4]}) -> ${r.rows.length} rows, more=${r.more}`);
  return r;
};
for (const [p, args] of [["docs:page20", { group: "g7" }], ["docs:getByN", { n: 777 }], ["docs:paginate20", { group: "g7", paginationOpts: { numItems: 20, cursor: null } }]] as const) {
  calls.length = 0;
  const o = await backend.runner.runQuery(p, args as any);
  console.log(p, o.ok, calls);
}
await backend.close();
