import { describe, expect, test } from "vitest";
import { inWaves } from "./inWaves";

describe("inWaves", () => {
  test("runs each wave's calls at once and the waves one after another, with results in input order", async () => {
    let inFlight = 0;
    let most = 0;
    const started: number[] = [];
    const items = Array.from({ length: 23 }, (_, i) => i);
    const out = await inWaves(
      items,
      async (item, index) => {
        started.push(index);
        inFlight++;
        most = Math.max(most, inFlight);
        // Later items finish first inside a wave: the order of results must not follow completion.
        await new Promise((r) => setTimeout(r, (10 - (item % 10)) * 2));
        inFlight--;
        return item * 2;
      },
      10,
    );
    expect(out).toEqual(items.map((i) => i * 2));
    expect(most).toBe(10);
    expect(started).toEqual(items);
  });

  test("an empty list makes no call; a failing call rejects the whole", async () => {
    expect(await inWaves([], async () => 1)).toEqual([]);
    await expect(inWaves([1, 2, 3], async (n) => (n === 2 ? Promise.reject(new Error("row 2")) : n), 2)).rejects.toThrow("row 2");
  });
});
