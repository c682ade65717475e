import interCss from "@fontsource-variable/inter/index.css?url";
import frauncesCss from "@fontsource-variable/fraunces/index.css?url";
import sourceSerifCss from "@fontsource-variable/source-serif-4/index.css?url";
import sourceSerifItalicCss from "@fontsource-variable/source-serif-4/wght-italic.css?url";
import playfairCss from "@fontsource-variable/playfair-display/index.css?url";
import loraCss from "@fontsource-variable/lora/index.css?url";
import loraItalicCss from "@fontsource-variable/lora/wght-italic.css?url";
import spaceGroteskCss from "@fontsource-variable/space-grotesk/index.css?url";
import sourceSansCss from "@fontsource-variable/source-sans-3/index.css?url";
import sourceSansItalicCss from "@fontsource-variable/source-sans-3/wght-italic.css?url";
import interItalicCss from "@fontsource-variable/inter/wght-italic.css?url";
import { FONT_PAIRS, type FontPairId } from "../../convex/shared/theme";

// Self-hosted fonts: Vite copies each @fontsource-variable stylesheet (and the woff2 files it
// points at) into the build's /assets, so a reader page never requests a font from another host.
// Every face is `font-display: swap` (fontsource's default) and split by unicode-range, so a
// browser downloads only the subsets a page uses. A page links only its pair's stylesheets; the
// body font also gets its italic (prose uses <em> and italic blockquotes), headings do not.

const UPRIGHT: Record<string, string> = {
  "@fontsource-variable/inter": interCss,
  "@fontsource-variable/fraunces": frauncesCss,
  "@fontsource-variable/source-serif-4": sourceSerifCss,
  "@fontsource-variable/playfair-display": playfairCss,
  "@fontsource-variable/lora": loraCss,
  "@fontsource-variable/space-grotesk": spaceGroteskCss,
  "@fontsource-variable/source-sans-3": sourceSansCss,
};

const ITALIC: Record<string, string> = {
  "@fontsource-variable/inter": interItalicCss,
  "@fontsource-variable/source-serif-4": sourceSerifItalicCss,
  "@fontsource-variable/lora": loraItalicCss,
  "@fontsource-variable/source-sans-3": sourceSansItalicCss,
};

/** The stylesheet URLs a page with this font pair links, in order ("system" links none). */
export function fontStylesheets(pair: FontPairId): string[] {
  const packages: readonly string[] = FONT_PAIRS[pair].packages;
  const urls = packages.map((name) => UPRIGHT[name]).filter((u): u is string => Boolean(u));
  // The last package of a pair is its body font (a one-package pair uses it for both).
  const body = packages[packages.length - 1];
  const italic = body ? ITALIC[body] : undefined;
  if (italic) urls.push(italic);
  return urls;
}

/** CSS custom properties of a pair: reader.css sets font-family from them. */
export function fontVars(pair: FontPairId): { "--font-heading": string; "--font-body": string } {
  return { "--font-heading": FONT_PAIRS[pair].heading, "--font-body": FONT_PAIRS[pair].body };
}
