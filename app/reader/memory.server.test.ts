import { describe, expect, test } from "vitest";
import { memoryReport } from "./memory.server";
import { rememberBody } from "./render.server";

describe("memoryReport: what the server's caches hold (SIGUSR2 report, issue #18)", () => {
  test("counts each cache by entries and bytes, and follows what is stored", () => {
    const before = memoryReport();
    expect(before.responses).toMatchObject({ size: 0, bytes: 0 });
    expect(before.shareCards).toMatchObject({ size: 0, bytes: 0 });
    // Not started in this process (READER_CACHE is off in tests): reported as null, not started by asking.
    expect(before.queries).toBeNull();
    const html = rememberBody("counted-once", "<p>Counted once.</p>");
    // Keys count too: a held entry costs both.
    expect(memoryReport().renderedBodies.chars - before.renderedBodies.chars).toBe("counted-once".length + html.length);
    // A memo hit stores nothing more.
    rememberBody("counted-once", "<p>Counted once.</p>");
    expect(memoryReport().renderedBodies.chars - before.renderedBodies.chars).toBe("counted-once".length + html.length);
  });
});
