import { describe, expect, test } from "vitest";
import { formatPrice } from "../reader/format";
import { formatMoney } from "./money";

describe("formatMoney: the one money formatter", () => {
  test("studio amounts always show cents; unknown currencies fall back to the code", () => {
    expect(formatMoney(1200, "usd")).toBe("$12.00");
    expect(formatMoney(1250, "eur")).toBe("€12.50");
    expect(formatMoney(0, "usd")).toBe("$0.00");
    expect(formatMoney(1234, "not-a-currency")).toBe("12.34 NOT-A-CURRENCY");
  });

  test("reader prices drop cents on whole amounts", () => {
    expect(formatMoney(700, "usd", { wholeWithoutCents: true })).toBe("$7");
    expect(formatMoney(750, "gbp", { wholeWithoutCents: true })).toBe("£7.50");
    expect(formatPrice(700, "usd", "month")).toBe("$7 / month");
    expect(formatPrice(12_000, "eur", "year")).toBe("€120 / year");
  });
});
