import { AsyncLocalStorage } from "node:async_hooks";

// What one anonymous request's response was computed from, so the front response cache
// (front.server.ts) can tell, on the next request for the same URL, whether a stored response is
// still exactly what the app would render. Every read a reader page makes goes through the
// subscription cache (cache.server.ts), which records the entry and its version here; anything
// else (a query over HTTP, a mutation, a signed-in client) marks the request untracked, and an
// untracked response is never stored.

/** A cached query result: `version` moves on every new result; `live` is false once evicted or failed. */
export interface Dependency {
  readonly version: number;
  readonly live: boolean;
}

export interface RequestDeps {
  deps: Array<{ dep: Dependency; version: number }>;
  untracked: boolean;
}

const storage = new AsyncLocalStorage<RequestDeps>();

/** Runs `fn` recording the dependencies of everything it reads. */
export function trackDependencies<T>(fn: () => Promise<T>): { deps: RequestDeps; result: Promise<T> } {
  const deps: RequestDeps = { deps: [], untracked: false };
  return { deps, result: storage.run(deps, fn) };
}

/** Records that the current request read `dep` at its current version. */
export function recordDependency(dep: Dependency): void {
  storage.getStore()?.deps.push({ dep, version: dep.version });
}

/** Records that the current request read something the cache cannot watch. */
export function recordUntracked(): void {
  const store = storage.getStore();
  if (store) store.untracked = true;
}

/** Whether every dependency is still live at the version that was read. */
export function dependenciesCurrent(deps: RequestDeps["deps"]): boolean {
  for (const d of deps) if (!d.dep.live || d.dep.version !== d.version) return false;
  return true;
}
