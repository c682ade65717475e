// Test data for the reader's render tests (themes.test.ts, card-memo.server.test.ts): a site as the
// layout gives it and a post card as lists give it. Not imported by the app.
import { resolveTheme, type ThemeSettings } from "../../convex/shared/theme";
import { accentPair } from "./theme";
import type { PostCard, SiteData } from "./types";

export const testSite = (theme: ThemeSettings = {}, extra: Partial<SiteData> = {}): SiteData => ({
  name: "The Ledger",
  slug: "the-ledger",
  description: "Money, explained.",
  logoUrl: null,
  accent: accentPair("#0b5cad"),
  base: "/the-ledger",
  canonicalBase: "https://example.test/the-ledger",
  theme: resolveTheme(theme),
  coverUrl: null,
  ...extra,
});

export const testCard = (over: Partial<PostCard> = {}): PostCard => ({
  slug: "budgets",
  title: "How a city budget works",
  excerpt: "A walk through the numbers.",
  authorName: "Amara Okafor",
  authorSlug: "amara",
  authorImage: null,
  publishedAt: Date.UTC(2026, 0, 5),
  readingTimeMinutes: 6,
  featured: false,
  coverImageUrl: null,
  coverImageAlt: null,
  category: { name: "Guides", slug: "guides" },
  tags: [{ name: "Data", slug: "data" }],
  ...over,
});
