import { describe, expect, test } from "vitest";
import {
  decodeDocumentId,
  encodeDocumentId,
  isDocumentId,
  newInternalId,
} from "../../src/values/ids.js";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

function internalId(seed: number): Uint8Array {
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) bytes[i] = (seed * 31 + i * 97) & 0xff;
  return bytes;
}

describe("v6 document ids", () => {
  test.each([
    [1, 31],
    [127, 31],
    [128, 32],
    [10001, 32],
    [16383, 32],
    [16384, 34],
    [2 ** 21, 36],
    [2 ** 28, 37],
    [2 ** 32 - 1, 37],
  ])("table %i round-trips with length %i", (tableNumber, length) => {
    for (let seed = 0; seed < 20; seed++) {
      const id = encodeDocumentId(tableNumber, internalId(seed));
      expect(id).toHaveLength(length);
      expect(id).toMatch(/^[0-9a-hjkmnp-tv-z]+$/);
      const decoded = decodeDocumentId(id);
      expect(decoded).not.toBeNull();
      expect(decoded!.tableNumber).toBe(tableNumber);
      expect(Array.from(decoded!.internalId)).toEqual(Array.from(internalId(seed)));
    }
  });

  test("decodes real ids from get-convex/convex-backend", () => {
    // npm-packages/dashboard/src/elements/CommandPalette/CommandPalette.stories.tsx
    // at commit 94a42c3db8d7 annotates these with their table numbers.
    expect(decodeDocumentId("m57068j1c1zsxfewzcd3jp3qjttx99vg")?.tableNumber).toBe(10017);
    expect(decodeDocumentId("k570e9j5cj1t5gf0zwf3tq3vkawxhqr0")?.tableNumber).toBe(10009);
    expect(decodeDocumentId("nx70paj9d23tdhf40ch42r3zktyxrddc")?.tableNumber).toBe(10031);
    // A `_storage` id from FileStorage.stories.tsx: a system table number
    // (> 512) and a creation day in 2026.
    const storage = decodeDocumentId("kg2dsa1sfhkmydncfvvtd2jgbx85rw9z");
    expect(storage?.tableNumber).toBe(540);
    const days = (storage!.internalId[14]! << 8) | storage!.internalId[15]!;
    expect(new Date(days * 86_400_000).toISOString().slice(0, 7)).toBe("2026-04");
    // Re-encoding reproduces the exact string.
    expect(encodeDocumentId(storage!.tableNumber, storage!.internalId)).toBe(
      "kg2dsa1sfhkmydncfvvtd2jgbx85rw9z",
    );
  });

  test("rejects every single-character corruption", () => {
    for (const tableNumber of [1, 10001, 2 ** 21]) {
      const id = encodeDocumentId(tableNumber, internalId(tableNumber));
      for (let i = 0; i < id.length; i++) {
        for (const c of ALPHABET) {
          if (c === id[i]) continue;
          const corrupted = id.slice(0, i) + c + id.slice(i + 1);
          expect(decodeDocumentId(corrupted), corrupted).toBeNull();
        }
      }
    }
  });

  test("rejects malformed strings", () => {
    const id = encodeDocumentId(10001, internalId(1));
    expect(decodeDocumentId(id.toUpperCase())).toBeNull();
    expect(decodeDocumentId(id.slice(1))).toBeNull();
    expect(decodeDocumentId(id + "0")).toBeNull();
    expect(decodeDocumentId(id.slice(0, -1) + "i")).toBeNull(); // not in alphabet
    expect(decodeDocumentId(id.slice(0, -1) + "é")).toBeNull();
    expect(decodeDocumentId("")).toBeNull();
    expect(decodeDocumentId("0".repeat(32))).toBeNull(); // table number 0
    expect(decodeDocumentId("x".repeat(1000))).toBeNull();
    expect(isDocumentId(id)).toBe(true);
    expect(isDocumentId("hello")).toBe(false);
  });

  test("rejects non-canonical encodings (unused trailing bits set)", () => {
    // 19 bytes need 152 bits; 31 chars carry 155, so the last char has three
    // padding bits that must be zero.
    const id = encodeDocumentId(5, internalId(3));
    expect(id).toHaveLength(31);
    const last = ALPHABET.indexOf(id[30]!);
    expect(last & 0b111).toBe(0);
    for (let pad = 1; pad < 8; pad++) {
      const variant = id.slice(0, 30) + ALPHABET[last | pad];
      expect(decodeDocumentId(variant)).toBeNull();
    }
  });

  test("encode validates its inputs", () => {
    expect(() => encodeDocumentId(0, internalId(0))).toThrow(RangeError);
    expect(() => encodeDocumentId(-1, internalId(0))).toThrow(RangeError);
    expect(() => encodeDocumentId(1.5, internalId(0))).toThrow(RangeError);
    expect(() => encodeDocumentId(2 ** 32, internalId(0))).toThrow(RangeError);
    expect(() => encodeDocumentId(1, new Uint8Array(15))).toThrow(RangeError);
  });

  test("footer is fletcher16 over the preceding bytes, little-endian", () => {
    // Table 1, internal id of zeros except the last byte = 1:
    // bytes 01, 00 x15, 01: c0 = 2; c1 = 1 (after 01) + 15 x 1 + 2 = 18 -> footer 0x1202, LE 02 12.
    const bytes = new Uint8Array(16);
    bytes[15] = 1;
    const id = encodeDocumentId(1, bytes);
    const raw = [1, ...bytes, 0x02, 0x12];
    let bits = "";
    for (const b of raw) bits += b.toString(2).padStart(8, "0");
    bits = bits.padEnd(Math.ceil(bits.length / 5) * 5, "0");
    let expected = "";
    for (let i = 0; i < bits.length; i += 5) expected += ALPHABET[parseInt(bits.slice(i, i + 5), 2)];
    expect(id).toBe(expected);
  });

  test("newInternalId: 14 random bytes + big-endian days since epoch", () => {
    const nowMs = Date.UTC(2026, 3, 29, 13, 45); // day 20572 = 0x505c
    let requested = 0;
    const id = newInternalId(nowMs, (n) => {
      requested = n;
      return new Uint8Array(n).fill(0xab);
    });
    expect(requested).toBe(14);
    expect(id).toHaveLength(16);
    expect(Array.from(id.subarray(0, 14))).toEqual(new Array(14).fill(0xab));
    expect(id[14]).toBe(0x50);
    expect(id[15]).toBe(0x5c);
    expect(() => newInternalId(-1, (n) => new Uint8Array(n))).toThrow(RangeError);
    expect(() => newInternalId(nowMs, () => new Uint8Array(3))).toThrow(RangeError);
  });
});
