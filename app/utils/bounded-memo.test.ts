import { describe, expect, test } from "vitest";
import { BoundedMemo } from "./bounded-memo";

describe("BoundedMemo: bounded by the characters it holds (issue #18)", () => {
  test("holds keys and values within the bound, least recently used out first", () => {
    const memo = new BoundedMemo(30);
    memo.set("a", "1234567890"); // 11
    memo.set("b", "1234567890"); // 22
    expect(memo.get("a")).toBe("1234567890"); // a is now the most recent
    memo.set("c", "1234567890"); // 33 > 30: b goes
    expect(memo.get("b")).toBeUndefined();
    expect(memo.get("a")).toBe("1234567890");
    expect(memo.get("c")).toBe("1234567890");
    expect(memo.chars).toBe(22);
    expect(memo.size).toBe(2);
  });

  test("an entry larger than the whole bound is returned, not kept, and evicts nothing", () => {
    const memo = new BoundedMemo(10);
    memo.set("k", "v");
    expect(memo.set("big", "x".repeat(20))).toBe("x".repeat(20));
    expect(memo.get("big")).toBeUndefined();
    expect(memo.get("k")).toBe("v");
    expect(memo.chars).toBe(2);
  });

  test("setting a key again replaces its value and its count", () => {
    const memo = new BoundedMemo(100);
    memo.set("k", "short");
    memo.set("k", "a longer value");
    expect(memo.get("k")).toBe("a longer value");
    expect(memo.chars).toBe(1 + "a longer value".length);
    expect(memo.size).toBe(1);
  });
});

describe("BoundedMemo under churn", () => {
  test("every entry used since it was set: the newest still stays, and the bound holds", () => {
    const memo = new BoundedMemo(100);
    for (let i = 0; i < 50; i++) {
      memo.set(`k${i}`, "v".repeat(20));
      expect(memo.get(`k${i}`)).toBe("v".repeat(20));
      expect(memo.chars).toBeLessThanOrEqual(100);
    }
    expect(memo.size).toBe(4);
  });
});
