import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test } from "vitest";
import { LocalBackend } from "../src/backend.js";
import { modules } from "./conformance/modules.js";

test("commit timestamps only increase, across restarts too (clients reject a server that goes back)", async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "lb-ts-"));
  try {
    const seen: bigint[] = [];
    for (let run = 0; run < 3; run++) {
      const backend = await LocalBackend.start({ dataDir, modules });
      try {
        for (let i = 0; i < 5; i++) {
          const out = await backend.runner.runMutation("items:insert", { name: `r${run}-${i}` });
          expect(out.ok).toBe(true);
          if (out.ok) seen.push(out.ts!);
        }
        // A new snapshot reflects the last commit.
        const snap = backend.store.snapshot();
        expect(snap.ts).toBe(seen[seen.length - 1]);
        snap.release();
      } finally {
        await backend.close();
      }
    }
    for (let i = 1; i < seen.length; i++) expect(seen[i] > seen[i - 1]).toBe(true);
    // Creation times are increasing too.
    const backend = await LocalBackend.start({ dataDir, modules });
    try {
      const out = await backend.runner.runQuery("items:list", {});
      const times = (JSON.parse(out.ok ? out.valueJson : "[]") as Array<{ _creationTime: number }>).map((d) => d._creationTime);
      expect(times.length).toBe(15);
      for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThan(times[i - 1]);
    } finally {
      await backend.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
