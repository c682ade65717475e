// A site's theme and branding (Studio → Design, ADR 014): validating a change with the one set of
// theme rules (shared/theme.ts) and field rules (shared/fields.ts), and merging it into
// sites.branding without dropping the fields the change does not mention.
import type { Infer } from "convex/values";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { audit } from "../lib/audit";
import { appError, cleanField } from "../lib/errors";
import { FIELDS } from "../shared/fields";
import {
  COLOR_SCHEMES,
  FONT_PAIR_IDS,
  HOME_LAYOUTS,
  MAX_NAV_LINKS,
  navLinkFieldProblem,
  resolveTheme,
  THEME_IDS,
  type NavLink,
  type ResolvedTheme,
} from "../shared/theme";
import type { vBranding } from "../validators";

export type Branding = Infer<typeof vBranding>;

/** A Design change as updateTheme receives it: absent = unchanged, null = cleared. */
export interface ThemeChange {
  theme?: string;
  fontPair?: string;
  homeLayout?: string;
  colorScheme?: string;
  navLinks?: NavLink[];
  accentColor?: string | null;
  logoStorageId?: Id<"_storage"> | null;
  coverStorageId?: Id<"_storage"> | null;
}

/** `value` if it is one of `list`; otherwise INVALID_ARGUMENT on `field` (a stale or forged form). */
function oneOf<T extends string>(list: readonly T[], value: string, field: string, message: string): T {
  if ((list as readonly string[]).includes(value)) return value as T;
  throw appError("INVALID_ARGUMENT", { field, message });
}

/**
 * The navigation links as stored (trimmed), in order.
 * @throws ConvexError INVALID_ARGUMENT `{ field: "navLinks" }` for too many links, or
 * `{ field: "navLinks.{i}.label" | "navLinks.{i}.url" }` for the first refused link.
 */
export function cleanNavLinks(links: NavLink[]): NavLink[] {
  if (links.length > MAX_NAV_LINKS) throw appError("INVALID_ARGUMENT", { field: "navLinks", message: `At most ${MAX_NAV_LINKS} links.` });
  return links.map((link, i) => {
    const problem = navLinkFieldProblem(link);
    if (problem) throw appError("INVALID_ARGUMENT", { field: `navLinks.${i}.${problem.part}`, message: problem.message });
    return { label: link.label.trim(), url: link.url.trim() };
  });
}

async function requireImage(ctx: QueryCtx, id: Id<"_storage">, field: string): Promise<Id<"_storage">> {
  if (!(await ctx.db.system.get("_storage", id))) throw appError("NOT_FOUND", { field });
  return id;
}

/**
 * The branding after `change`, every field the change leaves out kept as it was.
 * @throws ConvexError INVALID_ARGUMENT `{ field, message }` for a bad choice, colour or link;
 * NOT_FOUND `{ field }` for an image id that is not in storage.
 */
export async function mergeBranding(ctx: QueryCtx, current: Branding | undefined, change: ThemeChange): Promise<Branding> {
  const next: Branding = { ...current };
  if (change.theme !== undefined) next.theme = oneOf(THEME_IDS, change.theme, "theme", "Choose one of the themes.");
  if (change.fontPair !== undefined) next.fontPair = oneOf(FONT_PAIR_IDS, change.fontPair, "fontPair", "Choose one of the font pairs.");
  if (change.homeLayout !== undefined) next.homeLayout = oneOf(HOME_LAYOUTS, change.homeLayout, "homeLayout", "Choose one of the home layouts.");
  if (change.colorScheme !== undefined) next.colorScheme = oneOf(COLOR_SCHEMES, change.colorScheme, "colorScheme", "Choose light, dark or automatic.");
  if (change.navLinks !== undefined) next.navLinks = cleanNavLinks(change.navLinks);
  if (change.accentColor !== undefined) next.accentColor = cleanField(FIELDS.accentColor, change.accentColor ?? "", "accentColor") || undefined;
  if (change.logoStorageId !== undefined) next.logoStorageId = change.logoStorageId ? await requireImage(ctx, change.logoStorageId, "logo") : undefined;
  if (change.coverStorageId !== undefined) next.coverStorageId = change.coverStorageId ? await requireImage(ctx, change.coverStorageId, "cover") : undefined;
  // Cleared fields are left out rather than stored as undefined.
  for (const key of Object.keys(next) as (keyof Branding)[]) if (next[key] === undefined) delete next[key];
  return next;
}

/** Saves a Design change: validated, merged into branding, audited as "site.theme". */
export async function updateTheme(ctx: MutationCtx, actorId: Id<"users">, site: Doc<"sites">, change: ThemeChange): Promise<void> {
  const branding = await mergeBranding(ctx, site.branding, change);
  await ctx.db.patch("sites", site._id, { branding, updatedAt: Date.now() });
  await audit(ctx, {
    siteId: site._id,
    actorId,
    action: "site.theme",
    entityType: "site",
    entityId: site._id,
    before: { ...(site.branding ?? {}) },
    after: { ...branding },
  });
}

/** The site's theme as readers render it. */
export function siteTheme(site: Doc<"sites">): ResolvedTheme {
  return resolveTheme(site.branding);
}
