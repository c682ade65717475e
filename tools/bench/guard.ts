// A bench section's own time budget and interrupt handling (issue #18: each section has a budget,
// and an abort cleans up what it started): past the budget, or on SIGINT/SIGTERM, `stop` runs
// (kill what the section started, remove its temp dir; synchronous, nothing is awaited) and the
// process exits 1. `release()` in the section's `finally` disarms it.

export interface SectionGuard {
  release(): void;
}

export function guardSection(name: string, budgetMs: number, stop: () => void): SectionGuard {
  const abort = (why: string) => {
    console.error(`[${name} bench] ${why}: stopping what the section started.`);
    try {
      stop();
    } finally {
      process.exit(1);
    }
  };
  const timer = setTimeout(() => abort(`exceeded ${budgetMs / 60_000} minutes`), budgetMs);
  timer.unref();
  const onSignal = () => abort("interrupted");
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  return {
    release() {
      clearTimeout(timer);
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}
