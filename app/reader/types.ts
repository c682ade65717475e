import type { ResolvedTheme } from "../../convex/shared/theme";

// Shapes reader loaders send to the browser (shared by server helpers and components).

/** What the $site layout sends to the browser and every page's meta reads. */
export interface SiteData {
  name: string;
  slug: string;
  description: string | null;
  logoUrl: string | null;
  accent: { light: string; dark: string };
  /** Link prefix for this request ("/{slug}" or ""). */
  base: string;
  /** Absolute canonical prefix. */
  canonicalBase: string;
  /** The publication's theme, every choice resolved (convex/shared/theme.ts). */
  theme: ResolvedTheme;
  /** The site's cover image (a banner on the home page), or null. */
  coverUrl: string | null;
}

/** Who is reading, for the reader header: null when signed out. */
export interface ReaderViewer {
  name: string;
  /** null: signed in but not a member of this site. */
  membership: "paid" | "comped" | "free" | null;
}

/** A post as list pages show it. */
export interface PostCard {
  slug: string;
  title: string;
  excerpt: string;
  authorName: string;
  authorSlug: string | null;
  authorImage: string | null;
  publishedAt: number;
  readingTimeMinutes: number;
  featured: boolean;
  coverImageUrl: string | null;
  /** The cover's alt text (null: decorative, rendered with alt=""). */
  coverImageAlt: string | null;
  category: { name: string; slug: string } | null;
  tags: Array<{ name: string; slug: string }>;
}

export interface ListPage {
  posts: PostCard[];
  /** Cursor of the next page, or null on the last page. */
  nextCursor: string | null;
  /** Whether this is the first page (no ?cursor=). */
  first: boolean;
}

/** A subscription plan as readers see it (subscribe page, paywall). */
export interface PublicPlan {
  name: string;
  description: string | null;
  priceCents: number;
  currency: string;
  interval: "month" | "year";
  features: string[];
}
