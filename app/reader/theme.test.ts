import { describe, expect, test } from "vitest";
import { accentPair, contrast, DARK_BG, DARK_SURFACE, DEFAULT_ACCENT, LIGHT_BG, LIGHT_SURFACE } from "./theme";

describe("accentPair", () => {
  test.each(["#ffff00", "#00ff00", "#0b5cad", "#000000", "#ffffff", "#e11d48", null, "not a color"])(
    "%s reaches AA contrast in both modes",
    (hex) => {
      const { light, dark } = accentPair(hex);
      for (const bg of [LIGHT_BG, LIGHT_SURFACE]) expect(contrast(light, bg)).toBeGreaterThanOrEqual(4.5);
      for (const bg of [DARK_BG, DARK_SURFACE]) expect(contrast(dark, bg)).toBeGreaterThanOrEqual(4.5);
    },
  );

  test("an accent that already has contrast is kept", () => {
    expect(accentPair("#1a1a8c").light).toBe("#1a1a8c");
    expect(accentPair(null).light).toBe(DEFAULT_ACCENT);
  });
});
