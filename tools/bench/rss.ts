// Resident memory of bench processes, from /proc (Linux): one process, or a process and its
// descendants (the app server's cluster primary and its workers).
import { readdirSync, readFileSync } from "node:fs";

/** A process's resident memory in bytes (0 once it is gone). */
export function rssOf(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** A process's RSS plus its descendants'. */
export function treeRss(pid: number | undefined, depth = 0): number {
  if (!pid || depth > 4) return 0;
  let total = rssOf(pid);
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      for (const child of readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").split(" ").filter(Boolean)) total += treeRss(Number(child), depth + 1);
    }
  } catch {
    // Gone meanwhile: what was read so far.
  }
  return total;
}
