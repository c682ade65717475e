import { type FunctionArgs, type FunctionReference, type FunctionReturnType, type PaginationOptions, type PaginationResult } from "convex/server";
import { resolveTheme, type ResolvedTheme } from "../../convex/shared/theme";
import type { ReaderPost } from "../../convex/validators";
import { publicReaderClient, readerClient, type ReaderClient } from "./client.server";
import { badRequest, notFound } from "./http.server";
import { resolveSite, type ResolvedSite } from "./site.server";
import { accentPair } from "./theme";
import type { ListPage, PostCard, PublicPlan, SiteData } from "./types";

export type { ListPage, PostCard, PublicPlan, SiteData };

// Helpers the reader route loaders share: the site (or a 404), pagination from ?cursor=, and the
// card shape lists send to the browser (no ids a page does not need, never a body).

export function siteData(r: ResolvedSite): SiteData {
  // getPublic resolves the theme (sites.ts); a backend that predates it gets the defaults.
  const extra = r.site as { theme?: ResolvedTheme; coverUrl?: string | null };
  return {
    name: r.site.name,
    slug: r.site.slug,
    description: r.site.description,
    logoUrl: r.site.logoUrl,
    accent: accentPair(r.site.accentColor),
    base: r.base,
    canonicalBase: r.canonicalBase,
    theme: extra.theme ?? resolveTheme(undefined),
    coverUrl: extra.coverUrl ?? null,
  };
}

/**
 * The request's site (or a thrown 404) and its clients: `client` asks as the viewer (what depends on them: their
 * standing, whether they may read a locked post); `shared` asks what every viewer sees alike (cards,
 * lists, taxonomy headers), anonymously for a signed-in reader too, so one cached answer serves
 * every reader instead of one per reader (the backend's query cache is keyed by identity).
 */
export async function requireSite(
  request: Request,
  params: { site?: string },
): Promise<{ resolved: ResolvedSite; client: ReaderClient; shared: ReaderClient; site: SiteData }> {
  const [client, resolved] = await Promise.all([readerClient(request), resolveSite(request, params)]);
  if (!resolved) throw notFound("Publication not found");
  return { resolved, client, shared: client.signedIn ? publicReaderClient(request) : client, site: siteData(resolved) };
}

/**
 * A post as every list shows it. Nothing in it depends on who is looking (no body, no lock state:
 * a card shows "Subscribers" for a featured post whoever reads it), so a signed-in reader's cards
 * can come from the answer every reader shares (post-page.server.ts).
 */
export function toCard(p: ReaderPost): PostCard {
  return {
    slug: p.slug,
    title: p.title,
    excerpt: p.excerpt,
    authorName: p.authorName,
    authorSlug: p.authorSlug,
    authorImage: p.authorImage,
    publishedAt: p.publishedAt,
    readingTimeMinutes: p.readingTimeMinutes,
    featured: p.featured,
    coverImageUrl: p.coverImageUrl,
    coverImageAlt: p.coverImageAlt ?? null,
    category: p.category ? { name: p.category.name, slug: p.category.slug } : null,
    tags: p.tags.map((t) => ({ name: t.name, slug: t.slug })),
  };
}

export const PAGE_SIZE = 10;
const MAX_CURSOR = 4096;

/** The ?cursor= of a list page (null on the first page). @throws 400 for an absurd cursor. */
export function cursorParam(request: Request): string | null {
  const cursor = new URL(request.url).searchParams.get("cursor");
  if (!cursor) return null;
  if (cursor.length > MAX_CURSOR) throw badRequest("That page link is damaged.");
  return cursor;
}

type PageQuery = FunctionReference<"query", "public", any, PaginationResult<ReaderPost>>;
type CursorQuery = FunctionReference<"query", "public", { paginationOpts: PaginationOptions }>;

/**
 * Asks a paginated reader query at the request's cursor, `numItems` at a time.
 * @throws 400 when Convex refuses the cursor (a link from another list or a damaged one).
 */
export async function atCursor<Q extends CursorQuery>(
  request: Request,
  client: ReaderClient,
  query: Q,
  args: Omit<FunctionArgs<Q>, "paginationOpts">,
  numItems = PAGE_SIZE,
): Promise<FunctionReturnType<Q>> {
  const cursor = cursorParam(request);
  try {
    return await client.query(query, { ...args, paginationOpts: { numItems, cursor } } as FunctionArgs<Q>);
  } catch (e) {
    if (cursor) throw badRequest("That page link is out of date.");
    throw e;
  }
}

/** The list a page shows from a query's page: cards, and the next page's cursor when there is one. */
export function toListPage(request: Request, result: PaginationResult<ReaderPost>): ListPage {
  const nextCursor = result.isDone || !result.continueCursor ? null : result.continueCursor;
  return { posts: result.page.map(toCard), nextCursor, first: cursorParam(request) === null };
}

/**
 * A list page at the request's cursor. Reader lists answer an exact `isDone`
 * (convex/model/reader.ts `newestFirstPage`), so one request per page; search ranks by relevance,
 * where a query cannot look past its page, so it says `peek` and this asks one item ahead.
 * @throws 400 when Convex refuses the cursor (a link from another list or a damaged one).
 */
export async function listPage<Q extends PageQuery>(
  request: Request,
  client: ReaderClient,
  query: Q,
  args: Omit<FunctionArgs<Q>, "paginationOpts">,
  { numItems = PAGE_SIZE, peek = false }: { numItems?: number; peek?: boolean } = {},
): Promise<ListPage> {
  const result = await atCursor(request, client, query, args, numItems);
  const list = toListPage(request, result);
  // Convex only knows a search ended when a page comes back short: peek one item ahead so a full
  // last page does not offer an "Older posts" link to an empty page.
  if (peek && list.nextCursor && result.page.length >= numItems) {
    const peeked = await client.query(query, { ...args, paginationOpts: { numItems: 1, cursor: list.nextCursor } } as FunctionArgs<Q>);
    if (peeked.page.length === 0) return { ...list, nextCursor: null };
  }
  return list;
}

