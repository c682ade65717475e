// The cluster primary both `npm run serve` (its own process) and `npm start` (inside the launch
// process, next to the backend) run: a real host process under tsx with real workers that listen.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, test } from "vitest";

const dir = mkdtempSync(path.join(os.tmpdir(), "primary-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A worker: listens on a shared random port, says who it is, answers SIGUSR2 and SIGTERM.
// FAIL_AT_START makes it exit before listening.
const workerScript = path.join(dir, "worker.mjs");
writeFileSync(
  workerScript,
  `import http from "node:http";
if (process.env.FAIL_AT_START === "1") process.exit(3);
const say = (o) => console.log(JSON.stringify({ ...o, pid: process.pid }));
process.on("SIGUSR2", () => say({ event: "usr2" }));
process.on("SIGTERM", () => { say({ event: "term" }); process.exit(0); });
http.createServer((_, res) => res.end(String(process.pid))).listen(0, "127.0.0.1", () =>
  say({ event: "worker", argv: process.argv.slice(2), execArgv: process.execArgv, marker: process.env.PRIMARY_TEST_MARKER }));
`,
);
// The host: a process that runs the primary, as tools/start.ts does (signals wired the same way).
const hostScript = path.join(dir, "host.ts");
writeFileSync(
  hostScript,
  `import { startPrimary } from ${JSON.stringify(path.resolve(__dirname, "primary.ts"))};
const say = (o: object) => console.log(JSON.stringify({ ...o, pid: process.pid }));
const primary = startPrimary({
  workers: 2,
  exec: ${JSON.stringify(workerScript)},
  execArgv: ["--max-old-space-size=96"],
  env: { PRIMARY_TEST_MARKER: "from-primary" },
  onListening: () => say({ event: "listening" }),
});
process.on("SIGUSR2", () => primary.signal("SIGUSR2"));
let stopping = false;
process.on("SIGTERM", () => {
  stopping = true;
  void primary.stop().then(() => (say({ event: "stopped" }), process.exit(0)));
});
void primary.done.then((code) => stopping || (say({ event: "done", code }), process.exit(code)));
`,
);

interface Line {
  event: string;
  pid: number;
  [k: string]: unknown;
}

function startHost(env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ["--import", "tsx", hostScript, "--host-only-arg"], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Line[] = [];
  let out = "";
  let stderr = "";
  const waiters: Array<() => void> = [];
  child.stderr!.on("data", (d) => (stderr += d));
  child.stdout!.on("data", (d) => {
    out += d;
    const parts = out.split("\n");
    out = parts.pop()!;
    for (const p of parts) if (p.startsWith("{")) lines.push(JSON.parse(p) as Line);
    for (const w of waiters.splice(0)) w();
  });
  const killer = setTimeout(() => child.kill("SIGKILL"), 40_000);
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => (clearTimeout(killer), resolve(code))));
  /** Resolves once `count` lines match (or rejects with what was seen after 20 s). */
  const until = (match: (l: Line) => boolean, count = 1) =>
    new Promise<Line[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out; saw ${JSON.stringify(lines)}; stderr ${stderr}`)), 20_000);
      const check = () => {
        const hits = lines.filter(match);
        if (hits.length >= count) {
          clearTimeout(timer);
          resolve(hits);
        } else waiters.push(check);
      };
      check();
    });
  return { child, lines, until, exited, stderr: () => stderr };
}

/** The parent pid of a process, from /proc. */
function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("app server primary (app/server/primary.ts)", () => {
  // A failed assertion leaves its host running: each is killed after its test (its workers follow:
  // a worker whose primary is gone exits).
  const hosts: Array<ReturnType<typeof startHost>> = [];
  afterEach(() => {
    for (const h of hosts.splice(0)) h.child.kill("SIGKILL");
  });

  test("forks its workers as its own children, with their flags and env and none of its arguments; replaces one that dies; passes SIGUSR2 on; stop ends them all", async () => {
    const host = startHost();
    hosts.push(host);
    const { child, until, exited } = host;
    const workers = await until((l) => l.event === "worker", 2);
    await until((l) => l.event === "listening");
    for (const w of workers) {
      expect(parentOf(w.pid)).toBe(child.pid);
      expect(w.argv).toEqual([]);
      expect(w.execArgv).toEqual(["--max-old-space-size=96"]);
      expect(w.marker).toBe("from-primary");
    }
    // A worker that dies after the start is replaced.
    process.kill(workers[0].pid, "SIGKILL");
    const [, , third] = await until((l) => l.event === "worker", 3);
    expect(workers.map((w) => w.pid)).not.toContain(third.pid);
    expect(parentOf(third.pid)).toBe(child.pid);
    const running = [workers[1].pid, third.pid];
    child.kill("SIGUSR2");
    const usr2 = await until((l) => l.event === "usr2", 2);
    expect(usr2.map((l) => l.pid).sort()).toEqual([...running].sort());
    child.kill("SIGTERM");
    const terms = await until((l) => l.event === "term", 2);
    expect(terms.map((l) => l.pid).sort()).toEqual([...running].sort());
    await until((l) => l.event === "stopped");
    expect(await exited).toBe(0);
    for (const pid of running) expect(alive(pid)).toBe(false);
  }, 60_000);

  test("a worker that exits during the start stops the others and ends with exit code 1 (no fork loop)", async () => {
    const host = startHost({ FAIL_AT_START: "1" });
    hosts.push(host);
    const { until, exited, lines } = host;
    const [done] = await until((l) => l.event === "done");
    expect(done.code).toBe(1);
    expect(await exited).toBe(1);
    expect(lines.filter((l) => l.event === "worker")).toEqual([]);
    expect(host.stderr()).toContain("a worker exited during start");
  }, 60_000);
});
