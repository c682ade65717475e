// A publication's theme: the one definition of what an owner may choose in Studio → Design and how
// missing choices fall back to the theme's defaults. Shared by Convex (sites.updateTheme validates
// with it, sites.getPublic resolves with it), the studio form and the reader (which only ever sees a
// ResolvedTheme). Stored in sites.branding next to accentColor and logoStorageId (ADR 014).
import { checkField, FIELDS } from "./fields";

export const THEME_IDS = ["classic", "magazine"] as const;
export type ThemeId = (typeof THEME_IDS)[number];

export const HOME_LAYOUTS = ["list", "grid", "magazine"] as const;
export type HomeLayout = (typeof HOME_LAYOUTS)[number];

/** Dark-mode behaviour: follow the reader's system setting, or always light, or always dark. */
export const COLOR_SCHEMES = ["auto", "light", "dark"] as const;
export type ColorScheme = (typeof COLOR_SCHEMES)[number];

const SANS = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
const SERIF = "Charter, 'Bitstream Charter', 'Sitka Text', Cambria, Georgia, serif";

/**
 * Font pairs, self-hosted from `@fontsource-variable/*` packages (no request leaves the site).
 * `packages` lists the npm packages whose CSS a page with this pair links; "system" links none.
 */
export const FONT_PAIRS = {
  system: { label: "System (fastest)", heading: SANS, body: SANS, packages: [] },
  modern: { label: "Modern: Inter", heading: `'Inter Variable', ${SANS}`, body: `'Inter Variable', ${SANS}`, packages: ["@fontsource-variable/inter"] },
  editorial: {
    label: "Editorial: Fraunces and Source Serif",
    heading: `'Fraunces Variable', ${SERIF}`,
    body: `'Source Serif 4 Variable', ${SERIF}`,
    packages: ["@fontsource-variable/fraunces", "@fontsource-variable/source-serif-4"],
  },
  classic: {
    label: "Classic: Playfair Display and Lora",
    heading: `'Playfair Display Variable', ${SERIF}`,
    body: `'Lora Variable', ${SERIF}`,
    packages: ["@fontsource-variable/playfair-display", "@fontsource-variable/lora"],
  },
  grotesk: {
    label: "Contemporary: Space Grotesk and Source Sans",
    heading: `'Space Grotesk Variable', ${SANS}`,
    body: `'Source Sans 3 Variable', ${SANS}`,
    packages: ["@fontsource-variable/space-grotesk", "@fontsource-variable/source-sans-3"],
  },
} as const satisfies Record<string, { label: string; heading: string; body: string; packages: readonly string[] }>;
export type FontPairId = keyof typeof FONT_PAIRS;
export const FONT_PAIR_IDS = Object.keys(FONT_PAIRS) as FontPairId[];

export const MAX_NAV_LINKS = 8;
export const NAV_LABEL_MAX = FIELDS.navLinkLabel.max;
export const NAV_URL_MAX = FIELDS.navLinkUrl.max;

export interface NavLink {
  label: string;
  /** A site-relative path ("/about", "/tag/news") or an absolute http(s) URL. */
  url: string;
}

/** What is stored (every field optional: a site that never chose keeps its theme's defaults). */
export interface ThemeSettings {
  theme?: ThemeId;
  fontPair?: FontPairId;
  homeLayout?: HomeLayout;
  colorScheme?: ColorScheme;
  navLinks?: NavLink[];
}

/** What the reader renders with: every choice made. */
export interface ResolvedTheme {
  theme: ThemeId;
  fontPair: FontPairId;
  homeLayout: HomeLayout;
  colorScheme: ColorScheme;
  navLinks: NavLink[];
}

/** Each theme's defaults: a classic blog, and a magazine with cover images and a hero. */
export const THEME_DEFAULTS: Record<ThemeId, Omit<ResolvedTheme, "theme" | "navLinks">> = {
  classic: { fontPair: "editorial", homeLayout: "list", colorScheme: "auto" },
  magazine: { fontPair: "modern", homeLayout: "magazine", colorScheme: "auto" },
};

export const THEME_LABELS: Record<ThemeId, { name: string; description: string }> = {
  classic: { name: "Classic", description: "A reading-first blog: a single column, large type, quiet chrome." },
  magazine: { name: "Magazine", description: "Cover images up front: a hero story, then a grid of the latest posts." },
};

const isOneOf = <T extends string>(list: readonly T[], value: unknown): value is T => typeof value === "string" && (list as readonly string[]).includes(value);

/** Fills in every choice the site has not made (and ignores unknown stored values, e.g. a removed font pair). */
export function resolveTheme(settings: ThemeSettings | null | undefined): ResolvedTheme {
  const theme = isOneOf(THEME_IDS, settings?.theme) ? settings.theme : "classic";
  const d = THEME_DEFAULTS[theme];
  return {
    theme,
    fontPair: isOneOf(FONT_PAIR_IDS, settings?.fontPair) ? settings.fontPair : d.fontPair,
    homeLayout: isOneOf(HOME_LAYOUTS, settings?.homeLayout) ? settings.homeLayout : d.homeLayout,
    colorScheme: isOneOf(COLOR_SCHEMES, settings?.colorScheme) ? settings.colorScheme : d.colorScheme,
    navLinks: (settings?.navLinks ?? []).filter((l) => navLinkProblem(l) === null).slice(0, MAX_NAV_LINKS),
  };
}

const NAV_URL_COPY = "Use a path like /about or a full https:// address.";

/**
 * Which part of a navigation link is refused and why, or null. Lengths and required-ness are the
 * FIELDS rules; addresses are site paths or http(s) URLs only: never javascript:, data: or //host.
 */
export function navLinkFieldProblem(link: NavLink): { part: "label" | "url"; message: string } | null {
  const label = checkField(FIELDS.navLinkLabel, typeof link.label === "string" ? link.label : "");
  if (!label.ok) return { part: "label", message: label.message };
  const checked = checkField(FIELDS.navLinkUrl, typeof link.url === "string" ? link.url : "");
  if (!checked.ok) return { part: "url", message: checked.message };
  const url = checked.value;
  if (url.startsWith("/")) return url.startsWith("//") || /[\s\\]/.test(url) ? { part: "url", message: NAV_URL_COPY } : null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? null : { part: "url", message: NAV_URL_COPY };
  } catch {
    return { part: "url", message: NAV_URL_COPY };
  }
}

/** Why a navigation link is refused, or null (navLinkFieldProblem without the part). */
export function navLinkProblem(link: NavLink): string | null {
  return navLinkFieldProblem(link)?.message ?? null;
}

/** Where a navigation link points on a page whose site links start with `base` ("/{slug}" or ""). */
export function navLinkHref(link: NavLink, base: string): string {
  return link.url.startsWith("/") ? `${base}${link.url === "/" ? "" : link.url}` || "/" : link.url;
}

function cleanAccent(raw: string): string | null {
  const check = checkField(FIELDS.accentColor, raw);
  return check.ok && check.value ? check.value : null;
}

/** The design form's live preview passes an unsaved theme as query parameters (studio preview route). */
export function themeToParams(t: ResolvedTheme & { accentColor?: string | null }): URLSearchParams {
  const p = new URLSearchParams({ theme: t.theme, fontPair: t.fontPair, homeLayout: t.homeLayout, colorScheme: t.colorScheme });
  if (t.accentColor) p.set("accent", t.accentColor);
  t.navLinks.forEach((l) => p.append("nav", `${l.label}\n${l.url}`));
  return p;
}

/**
 * The inverse of themeToParams; anything invalid falls back as resolveTheme does. Also reads the
 * Design form's own field names (`accentColor`, paired `navLabel`/`navUrl`, blank rows skipped), so
 * its Preview button works as a plain GET without JavaScript.
 */
export function themeFromParams(p: URLSearchParams): ResolvedTheme & { accentColor: string | null } {
  const navLinks = p.getAll("nav").map((v) => {
    const i = v.indexOf("\n");
    return { label: i < 0 ? v : v.slice(0, i), url: i < 0 ? "" : v.slice(i + 1) };
  });
  const urls = p.getAll("navUrl");
  p.getAll("navLabel").forEach((label, i) => {
    const url = urls[i] ?? "";
    if (label.trim() || url.trim()) navLinks.push({ label, url });
  });
  const accent = p.get("accent") ?? p.get("accentColor");
  return {
    ...resolveTheme({
      theme: p.get("theme") as ThemeId,
      fontPair: p.get("fontPair") as FontPairId,
      homeLayout: p.get("homeLayout") as HomeLayout,
      colorScheme: p.get("colorScheme") as ColorScheme,
      navLinks,
    }),
    accentColor: accent ? cleanAccent(accent) : null,
  };
}
