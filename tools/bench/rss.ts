// Resident memory of bench processes, from /proc (Linux): one process, or a process and its
// descendants (the app server's cluster primary and its workers; the production stack's tree).
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

/** Proportional set size in bytes: pages shared with other processes (the node binary's code) counted once across them. */
export function pssOf(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export interface TreeProcess {
  pid: number;
  /** The process it was found under (null for the root asked for). */
  parent: number | null;
  command: string;
  rss: number;
  /** Null unless asked for: reading it walks the process's whole memory map. */
  pss: number | null;
}

/**
 * A process and its descendants, parents first (a process gone meanwhile is left out); with
 * `withPss`, each one's PSS too (treeRss, sampled every 250 ms in the migrate bench, does not ask).
 */
export function processTree(pid: number | undefined, withPss = false, depth = 0, parent: number | null = null): TreeProcess[] {
  if (!pid || depth > 6) return [];
  let command: string;
  try {
    command = readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0").filter(Boolean).join(" ");
  } catch {
    return [];
  }
  const out: TreeProcess[] = [{ pid, parent, command, rss: rssOf(pid), pss: withPss ? pssOf(pid) : null }];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      for (const child of readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").split(" ").filter(Boolean)) out.push(...processTree(Number(child), withPss, depth + 1, pid));
    }
  } catch {
    // Gone meanwhile: what was read so far.
  }
  return out;
}

/** A process's RSS plus its descendants'. */
export function treeRss(pid: number | undefined): number {
  return processTree(pid).reduce((sum, p) => sum + p.rss, 0);
}
