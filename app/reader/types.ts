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
  locked: boolean;
  coverImageUrl: string | null;
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
