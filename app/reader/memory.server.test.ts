import { describe, expect, test } from "vitest";
import { memoryReport } from "./memory.server";
import { renderDocCached } from "./render.server";

describe("memoryReport: what the server's caches hold (SIGUSR2 report, issue #18)", () => {
  test("counts each cache by entries and bytes, and follows what is stored", () => {
    const before = memoryReport();
    expect(before.responses).toMatchObject({ size: 0, bytes: 0 });
    expect(before.shareCards).toMatchObject({ size: 0, bytes: 0 });
    // Not started in this process (READER_CACHE is off in tests): reported as null, not started by asking.
    expect(before.queries).toBeNull();
    const html = renderDocCached(JSON.stringify({ type: "doc", content: [{ type: "paragraph", content: [{ type: "text", text: "Counted once." }] }] }));
    expect(memoryReport().renderedBodies.chars - before.renderedBodies.chars).toBe(html.length);
    // A memo hit stores nothing more.
    renderDocCached(JSON.stringify({ type: "doc", content: [{ type: "paragraph", content: [{ type: "text", text: "Counted once." }] }] }));
    expect(memoryReport().renderedBodies.chars - before.renderedBodies.chars).toBe(html.length);
  });
});
