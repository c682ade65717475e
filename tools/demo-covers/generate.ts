#!/usr/bin/env node
// Generates the demo publications' images (tools/demo-covers/*.png): abstract covers, a site cover
// and three logos, drawn as SVG (flat shapes, so each PNG stays small) and rasterised with resvg.
// The output is committed; tools/demo-covers/seed.ts uploads it when the demo is seeded. Run it
// again only to change the art: `npx tsx tools/demo-covers/generate.ts` (deterministic).
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Resvg } from "@resvg/resvg-js";

const OUT = path.dirname(fileURLToPath(import.meta.url));
const W = 960;
const H = 540;

type Palette = { bg: string; a: string; b: string; c: string; d: string };
const LEDGER: Palette = { bg: "#f1ede4", a: "#0f6b4f", b: "#86bca8", c: "#e0a458", d: "#1d3a34" };
const FIELD: Palette = { bg: "#f6ecd9", a: "#b45309", b: "#e9b872", c: "#5b7f3a", d: "#2f3e22" };
const BYTE: Palette = { bg: "#ece8f7", a: "#6d28d9", b: "#a78bfa", c: "#f59e0b", d: "#1e1b4b" };

const svg = (w: number, h: number, bg: string, body: string) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}"><rect width="${w}" height="${h}" fill="${bg}"/>${body}</svg>`;

/** A city skyline of blocks over a low sun (The Ledger). */
function skyline(p: Palette, w = W, h = H): string {
  const widths = [70, 110, 60, 130, 80, 100, 60, 140, 90, 120, 70, 110, 90];
  let x = -20;
  let i = 0;
  let blocks = "";
  while (x < w) {
    const bw = widths[i % widths.length] * (w / W);
    const bh = h * (0.28 + ((i * 37) % 45) / 100);
    const fill = [p.a, p.d, p.b, p.a, p.d][i % 5];
    blocks += `<rect x="${x}" y="${h - bh}" width="${bw - 8}" height="${bh}" fill="${fill}"/>`;
    // A few lit windows in rows.
    for (let wy = h - bh + 24; wy < h - 30; wy += 36) {
      if ((i + Math.round(wy)) % 3 === 0) blocks += `<rect x="${x + 14}" y="${wy}" width="${Math.max(10, bw - 36)}" height="8" fill="${p.bg}" opacity="0.55"/>`;
    }
    x += bw;
    i++;
  }
  return svg(w, h, p.bg, `<circle cx="${w * 0.72}" cy="${h * 0.42}" r="${h * 0.3}" fill="${p.c}"/>${blocks}`);
}

/** Layered hills under a sun (Field Notes). */
function hills(p: Palette): string {
  const hill = (y: number, amp: number, fill: string, phase: number) => {
    let d = `M0 ${H} L0 ${y}`;
    for (let x = 0; x <= W; x += 40) d += ` L${x} ${(y + Math.sin((x / W) * Math.PI * 2 + phase) * amp).toFixed(1)}`;
    return `<path d="${d} L${W} ${H} Z" fill="${fill}"/>`;
  };
  return svg(W, H, p.bg, `<circle cx="${W * 0.25}" cy="${H * 0.33}" r="90" fill="${p.b}"/>${hill(300, 40, p.c, 0)}${hill(370, 30, p.a, 2)}${hill(440, 25, p.d, 4)}`);
}

/** The hills, wide (a site cover). */
function hillsWide(p: Palette): string {
  const w = 1600;
  const h = 600;
  const hill = (y: number, amp: number, fill: string, phase: number) => {
    let d = `M0 ${h} L0 ${y}`;
    for (let x = 0; x <= w; x += 40) d += ` L${x} ${(y + Math.sin((x / w) * Math.PI * 3 + phase) * amp).toFixed(1)}`;
    return `<path d="${d} L${w} ${h} Z" fill="${fill}"/>`;
  };
  return svg(w, h, p.bg, `<circle cx="${w * 0.78}" cy="${h * 0.3}" r="100" fill="${p.b}"/>${hill(330, 45, p.c, 1)}${hill(410, 35, p.a, 3)}${hill(500, 28, p.d, 5)}`);
}

/** Concentric arcs from a corner. */
function arcs(p: Palette): string {
  const colors = [p.a, p.b, p.c, p.d, p.bg];
  let body = "";
  for (let r = 760, i = 0; r > 60; r -= 110, i++) body += `<circle cx="${W}" cy="${H}" r="${r}" fill="${colors[i % colors.length]}"/>`;
  return svg(W, H, p.bg, `${body}<circle cx="170" cy="150" r="56" fill="${p.d}"/>`);
}

/** A grid of rounded tiles, some filled. */
function tiles(p: Palette): string {
  let body = "";
  const size = 90;
  for (let row = 0; row < 6; row++) {
    for (let col = 0; col < 10; col++) {
      const k = (row * 7 + col * 3) % 9;
      const fill = k < 2 ? p.a : k < 3 ? p.c : k < 5 ? p.b : k < 6 ? p.d : "none";
      const x = 30 + col * size;
      const y = 12 + row * size;
      body += fill === "none" ? `<rect x="${x}" y="${y}" width="${size - 14}" height="${size - 14}" rx="18" fill="none" stroke="${p.b}" stroke-width="3"/>` : `<rect x="${x}" y="${y}" width="${size - 14}" height="${size - 14}" rx="18" fill="${fill}"/>`;
    }
  }
  return svg(W, H, p.bg, body);
}

/** Diagonal bands. */
function bands(p: Palette): string {
  const colors = [p.a, p.b, p.d, p.c, p.b, p.a];
  let body = "";
  for (let i = 0; i < colors.length; i++) body += `<rect x="${-300 + i * 230}" y="-200" width="150" height="1000" fill="${colors[i]}" transform="rotate(28 ${W / 2} ${H / 2})"/>`;
  return svg(W, H, p.bg, body);
}

/** A dot matrix with a rising diagonal (Byte Sized). */
function dots(p: Palette): string {
  let body = "";
  for (let row = 0; row < 11; row++) {
    for (let col = 0; col < 19; col++) {
      const on = Math.abs(col - (18 - row * 1.7)) < 1.6;
      const warm = (row * 19 + col) % 23 === 0;
      body += `<circle cx="${40 + col * 49}" cy="${25 + row * 49}" r="${on ? 17 : 9}" fill="${on ? p.a : warm ? p.c : p.b}"/>`;
    }
  }
  return svg(W, H, p.bg, body);
}

/** Overlapping rotated cards. */
function stack(p: Palette): string {
  const card = (x: number, y: number, rot: number, fill: string) =>
    `<rect x="${x}" y="${y}" width="380" height="260" rx="22" fill="${fill}" transform="rotate(${rot} ${x + 190} ${y + 130})"/>`;
  return svg(W, H, p.bg, card(120, 150, -12, p.b) + card(300, 120, 6, p.a) + card(470, 170, -4, p.d) + `<circle cx="760" cy="120" r="48" fill="${p.c}"/>`);
}

/** Logos: a monogram-free mark on a rounded square (no fonts needed). */
function logo(p: Palette, mark: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256"><rect width="256" height="256" rx="56" fill="${p.a}"/>${mark}</svg>`;
}
const LOGOS = {
  "ledger-logo": logo(LEDGER, `<rect x="58" y="130" width="36" height="70" rx="6" fill="#fff"/><rect x="110" y="94" width="36" height="106" rx="6" fill="#fff"/><rect x="162" y="56" width="36" height="144" rx="6" fill="${LEDGER.c}"/>`),
  "field-notes-logo": logo(FIELD, `<path d="M64 192 C64 110 120 64 196 60 C192 140 146 192 64 192 Z" fill="#fff"/><path d="M70 186 L170 86" stroke="${FIELD.a}" stroke-width="10" stroke-linecap="round"/>`),
  "byte-sized-logo": logo(BYTE, `<path d="M104 72 L56 128 L104 184" fill="none" stroke="#fff" stroke-width="20" stroke-linecap="round" stroke-linejoin="round"/><path d="M152 72 L200 128 L152 184" fill="none" stroke="#fff" stroke-width="20" stroke-linecap="round" stroke-linejoin="round"/><circle cx="128" cy="128" r="12" fill="${BYTE.c}"/>`),
};

/** Every image: file name (without .png) → SVG. At most 12, each at most 60 kB (checked below). */
export const IMAGES: Record<string, string> = {
  "ledger-site-cover": skyline(LEDGER, 1600, 600),
  "ledger-skyline": skyline(LEDGER),
  "field-site-cover": hillsWide(FIELD),
  "field-hills": hills(FIELD),
  "field-stack": stack(FIELD),
  "field-arcs": arcs(FIELD),
  "field-bands": bands(FIELD),
  "field-tiles": tiles(FIELD),
  "byte-dots": dots(BYTE),
  ...LOGOS,
};

const MAX_BYTES = 60_000;
for (const [name, source] of Object.entries(IMAGES)) {
  const png = new Resvg(source).render().asPng();
  if (png.byteLength > MAX_BYTES) throw new Error(`${name}.png is ${png.byteLength} bytes (max ${MAX_BYTES})`);
  writeFileSync(path.join(OUT, `${name}.png`), png);
  console.log(`${name}.png ${png.byteLength} bytes`);
}
