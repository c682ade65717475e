import Database from "better-sqlite3";
const file = "/tmp/lb-prof/convex.sqlite3";
const idx = new Database(file, { readonly: true }).prepare("SELECT id, name FROM indexes").all();
const gid = idx.find((i) => i.name === "by_group_n").id, nid = idx.find((i) => i.name === "by_n").id;
for (const [label, pragmas] of [["default (cache 2 MB, no mmap)", []], ["cache_size=-65536", ["cache_size = -65536"]], ["mmap_size=268435456", ["mmap_size = 268435456"]]]) {
  const db = new Database(file, { readonly: true });
  for (const p of pragmas) db.pragma(p);
  const keys = db.prepare("SELECT key FROM index_entries WHERE index_id = ? ORDER BY random() LIMIT 2000").all(gid).map((r) => r.key);
  const nkeys = db.prepare("SELECT key FROM index_entries WHERE index_id = ? ORDER BY random() LIMIT 2000").all(nid).map((r) => r.key);
  const scan = db.prepare(`SELECT e.key AS key, e.doc_id AS id, d.json AS json FROM index_entries e JOIN documents d ON d.id = e.doc_id WHERE e.index_id = ? AND e.key >= ? ORDER BY e.key ASC LIMIT ?`);
  const begin = db.prepare("BEGIN"), commit = db.prepare("COMMIT");
  for (const [what, ks, id, lim] of [["20-row scan", keys, gid, 20], ["point (limit 2)", nkeys, nid, 2]]) {
    for (let i = 0; i < 500; i++) scan.all(id, ks[i % ks.length], lim); // warm
    const N = 5000, t0 = performance.now();
    for (let i = 0; i < N; i++) { begin.run(); scan.all(id, ks[i % ks.length], lim); commit.run(); }
    console.log(`${label.padEnd(32)} ${what.padEnd(16)} ${((performance.now() - t0) * 1000 / N).toFixed(1)} µs/query`);
  }
  db.close();
}
