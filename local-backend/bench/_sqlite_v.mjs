import Database from "better-sqlite3";
import { rmSync, statSync, copyFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
const mode = process.argv[2]; // held | released | noreader
const file = `/tmp/sqlite-micro-${mode}.db`;
rmSync(file, { force: true }); rmSync(file + "-wal", { force: true }); rmSync(file + "-shm", { force: true });
copyFileSync("/tmp/lb-prof/convex.sqlite3", file);
const db = new Database(file);
db.pragma("journal_mode = WAL"); db.pragma("synchronous = NORMAL"); if (process.argv[3]) db.pragma(`wal_autocheckpoint = ${process.argv[3]}`); if (process.argv[4] === "noidx") db.exec("DROP INDEX documents_by_table");
const rd = new Database(file, { readonly: true });
const begin = rd.prepare("BEGIN"), pin = rd.prepare("SELECT value FROM meta WHERE key='ts'"), end = rd.prepare("COMMIT");
const getDoc = rd.prepare("SELECT json FROM documents WHERE id = ?");
const putDoc = db.prepare("INSERT INTO documents (id, table_number, json) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json");
const putKey = db.prepare("INSERT INTO index_entries (index_id, key, doc_id) VALUES (?, ?, ?)");
const setMeta = db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
const wal = () => { try { return statSync(file + "-wal").size; } catch { return 0; } };
let ts = 1n << 60n;
const N = 10000;
const t0 = performance.now();
const lat = [];
for (let i = 0; i < N; i++) {
  const a = performance.now();
  if (mode !== "noreader") { begin.run(); pin.get(); }
  const id = randomBytes(16).toString("hex");
  getDoc.get(id);
  if (mode === "released") end.run();
  const json = JSON.stringify({ _id: id, n: 3e9 + i, group: "inserted", payload: "x".repeat(100) });
  db.transaction(() => {
    putKey.run(1, randomBytes(20), id);
    putKey.run(2, Buffer.concat([Buffer.from([5]), randomBytes(12)]), id);
    putKey.run(3, Buffer.concat([Buffer.from([9, i >> 8, i & 255]), randomBytes(8)]), id);
    putKey.run(4, Buffer.concat([Buffer.from("inserted"), Buffer.from([i >> 8, i & 255]), randomBytes(8)]), id);
    putDoc.run(id, 10001, json);
    setMeta.run("creationTime", String(i));
    setMeta.run("ts", String(ts++));
  })();
  if (mode === "held") end.run();
  lat.push(performance.now() - a);
}
lat.sort((a, b) => a - b);
console.log(`${mode} autockpt=${process.argv[3] ?? 1000} ${process.argv[4] ?? ""}: ${(N / ((performance.now() - t0) / 1000)).toFixed(0)} commits/s p50 ${lat[N / 2].toFixed(3)} p99 ${lat[Math.floor(N * 0.99)].toFixed(3)} ms, wal ${(wal() / 2 ** 20).toFixed(1)} MB`);
db.close(); rd.close();
for (const s of ["", "-wal", "-shm"]) rmSync(file + s, { force: true });
