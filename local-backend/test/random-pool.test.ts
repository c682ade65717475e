// values/randomPool.ts: CSPRNG bytes drawn in blocks. What a caller gets must be fresh every time
// (no two draws overlap, across block boundaries too) and must never change after it was handed out.
import { expect, test } from "vitest";
import { pooledRandomBytes } from "../src/values/randomPool.js";

test("draws never repeat or change afterwards, across many blocks", () => {
  const seen = new Set<string>();
  const kept: Array<{ bytes: Buffer; hex: string }> = [];
  // 14-byte ids as the backend draws them, enough for ~40 blocks of 4,096 bytes.
  for (let i = 0; i < 12_000; i++) {
    const bytes = pooledRandomBytes(14);
    expect(bytes.length).toBe(14);
    const hex = bytes.toString("hex");
    expect(seen.has(hex)).toBe(false);
    seen.add(hex);
    if (i % 97 === 0) kept.push({ bytes, hex });
  }
  for (const k of kept) expect(k.bytes.toString("hex")).toBe(k.hex);
});

test("a draw bigger than a quarter block comes straight from the CSPRNG, at its full length", () => {
  expect(pooledRandomBytes(5000).length).toBe(5000);
  expect(pooledRandomBytes(8).length).toBe(8);
});
