// Each site's accent color, made readable: links and buttons use it as text or background on the
// theme's page color, so it is darkened (light mode) or lightened (dark mode) until it reaches
// WCAG AA contrast (4.5:1) with the page, whatever the publisher picked.

export const DEFAULT_ACCENT = "#0b5cad";
export const LIGHT_BG = "#fdfdfc";
export const DARK_BG = "#121214";
/** Cards and panels (reader.css --surface): the accent must read on these too. */
export const LIGHT_SURFACE = "#f4f3ef";
export const DARK_SURFACE = "#1d1d21";
const MIN_CONTRAST = 4.5;

type Rgb = [number, number, number];

export function parseHex(hex: string | null | undefined): Rgb | null {
  const m = /^#?([0-9a-f]{6})$/i.exec(hex ?? "");
  if (!m) return null;
  const n = parseInt(m[1], 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

const toHex = (c: Rgb) => `#${c.map((v) => Math.round(v).toString(16).padStart(2, "0")).join("")}`;

function luminance([r, g, b]: Rgb): number {
  const lin = (v: number) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

export function contrast(a: string, b: string): number {
  const la = luminance(parseHex(a)!);
  const lb = luminance(parseHex(b)!);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

function adjust(color: Rgb, backgrounds: string[], toward: Rgb): string {
  for (let t = 0; t <= 1.0001; t += 0.05) {
    const mixed: Rgb = [0, 1, 2].map((i) => color[i] + (toward[i] - color[i]) * t) as Rgb;
    const hex = toHex(mixed);
    if (backgrounds.every((bg) => contrast(hex, bg) >= MIN_CONTRAST)) return hex;
  }
  return toHex(toward);
}

// Every reader page asks for its site's pair, and the search above costs ~40 µs (issue #18's
// profile): each color's answer is kept. ~100 bytes an entry, emptied past 1,000 colors.
const pairs = new Map<string, Readonly<{ light: string; dark: string }>>();

/** The accent for light and dark mode, each with at least 4.5:1 contrast on its page and card colors. */
export function accentPair(hex: string | null | undefined): Readonly<{ light: string; dark: string }> {
  const key = hex ?? "";
  let pair = pairs.get(key);
  if (!pair) {
    const base = parseHex(hex) ?? parseHex(DEFAULT_ACCENT)!;
    pair = Object.freeze({
      light: adjust(base, [LIGHT_BG, LIGHT_SURFACE], [0, 0, 0]),
      dark: adjust(base, [DARK_BG, DARK_SURFACE], [255, 255, 255]),
    });
    if (pairs.size >= 1000) pairs.clear();
    pairs.set(key, pair);
  }
  return pair;
}
