// readAll: the dry run reads an upload's Blob into one buffer of its size, from its stream.
import { describe, expect, test } from "vitest";
import { readAll } from "./contentImportAnalyze";

describe("readAll", () => {
  test("a Blob of many stream chunks comes back byte for byte", async () => {
    const bytes = new Uint8Array(3 * 2 ** 20 + 17).map((_, i) => (i * 31) % 251);
    const out = await readAll(new Blob([bytes.subarray(0, 5), bytes.subarray(5)]));
    expect(out.byteLength).toBe(bytes.byteLength);
    expect(Buffer.from(out).equals(Buffer.from(bytes))).toBe(true);
  });

  test("an empty Blob is an empty buffer", async () => {
    expect((await readAll(new Blob([]))).byteLength).toBe(0);
  });

  test("a Blob that streams more than its size is refused (the file changed while read)", async () => {
    const lying = { size: 4, stream: () => new Blob(["more than four bytes"]).stream() } as unknown as Blob;
    await expect(readAll(lying)).rejects.toThrow(/changed while it was read/);
  });
});
