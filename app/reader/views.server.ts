import { isbot } from "isbot";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { MAX_VIEW_BATCH } from "../../convex/shared/constants";
import { convexClient } from "../utils/convex.server";
import { sharedQueryCache } from "./cache.server";

// View counting: once per post per reader session. The session's viewed posts live in a session
// cookie (no Max-Age: it ends with the browser session); bots, prefetches and HEAD requests never
// count. Views are written in batches (reader:recordViews, per site, up to MAX_VIEW_BATCH views or
// 250 ms): counting never delays the page, and a burst of readers costs a few mutations instead of
// one each (each one is a function call, and on a single machine, CPU next to the pages). A failed
// batch is dropped (a view counter is not worth an error page).

export const VIEWED_COOKIE = "pr_viewed";
/** Newest ids kept in the cookie (Convex ids are ~32 characters: ~1.3 KB at most). */
const MAX_IDS = 40;

type Sender = (siteSlug: string, postIds: Id<"posts">[]) => Promise<unknown>;

export interface ViewBatcherOptions {
  maxBatch: number;
  delayMs: number;
  /** Batches being written at once. */
  maxInFlight: number;
  /** Views waiting (not yet written) before new ones are dropped: the bound under overload. */
  maxWaiting: number;
}

export class ViewBatcher {
  readonly stats = { recorded: 0, failed: 0, dropped: 0, batches: 0 };
  private readonly pending = new Map<string, Id<"posts">[]>();
  private readonly ready: Array<[string, Id<"posts">[]]> = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private waiting = 0;
  private inFlight = 0;
  private lastErrorLog = 0;
  private readonly opts: ViewBatcherOptions;

  constructor(
    private readonly send: Sender,
    opts: Partial<ViewBatcherOptions> = {},
  ) {
    this.opts = { maxBatch: MAX_VIEW_BATCH, delayMs: 250, maxInFlight: 4, maxWaiting: 50_000, ...opts };
  }

  add(siteSlug: string, postId: Id<"posts">): void {
    if (this.waiting >= this.opts.maxWaiting) {
      this.stats.dropped++;
      return;
    }
    this.waiting++;
    const list = this.pending.get(siteSlug) ?? [];
    list.push(postId);
    this.pending.set(siteSlug, list);
    if (list.length >= this.opts.maxBatch) {
      this.pending.delete(siteSlug);
      this.ready.push([siteSlug, list]);
      this.drain();
    } else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.opts.delayMs);
      this.timer.unref?.();
    }
  }

  /** Sends everything collected so far. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const entry of this.pending) this.ready.push(entry);
    this.pending.clear();
    this.drain();
  }

  /** Resolves once nothing is waiting or being written (a stopping server waits for it). */
  async idle(): Promise<void> {
    while (this.waiting > 0) await new Promise((r) => setTimeout(r, 10));
  }

  private drain(): void {
    while (this.inFlight < this.opts.maxInFlight && this.ready.length > 0) {
      const [siteSlug, postIds] = this.ready.shift()!;
      this.inFlight++;
      this.stats.batches++;
      this.send(siteSlug, postIds)
        .then(
          () => (this.stats.recorded += postIds.length),
          (error: unknown) => {
            this.stats.failed += postIds.length;
            // Visible, not per failure: at most one line a minute.
            if (Date.now() - this.lastErrorLog > 60_000) {
              this.lastErrorLog = Date.now();
              console.error(`[pressroom] a batch of ${postIds.length} views failed:`, error instanceof Error ? `${error.message}${error.cause ? ` (${String((error.cause as Error).message ?? error.cause)})` : ""}` : error);
            }
          },
        )
        .finally(() => {
          this.inFlight--;
          this.waiting -= postIds.length;
          this.drain();
        });
    }
  }
}

let shared: ViewBatcher | null = null;

/**
 * The process's batcher, writing anonymously (a view does not depend on who): over the reader
 * cache's WebSocket when it is on (retried across reconnects, applied once), else over HTTP.
 */
export function sharedViewBatcher(): ViewBatcher {
  shared ??= new ViewBatcher((siteSlug, postIds) => {
    const args = { siteSlug, postIds };
    const cache = sharedQueryCache();
    return cache ? cache.mutation(api.reader.recordViews, args) : convexClient().mutation(api.reader.recordViews, args);
  });
  return shared;
}

export function viewedIds(request: Request): string[] {
  const cookie = request.headers.get("cookie") ?? "";
  const m = new RegExp(`(?:^|;\\s*)${VIEWED_COOKIE}=([^;]*)`).exec(cookie);
  if (!m) return [];
  return m[1].split(".").filter((id) => /^[a-z0-9]{1,64}$/.test(id));
}

/** Whether this request is a person opening the page (not a bot, a prefetch or a HEAD). */
export function countsAsView(request: Request): boolean {
  if (request.method !== "GET") return false;
  const ua = request.headers.get("user-agent");
  if (!ua || isbot(ua)) return false;
  const purpose = `${request.headers.get("sec-purpose") ?? ""} ${request.headers.get("purpose") ?? ""}`;
  return !/prefetch|prerender/i.test(purpose);
}

/**
 * Records a view of a post unless this session already viewed it.
 * @returns the Set-Cookie value to send (the updated viewed list), or null when nothing changed.
 */
export function countView(request: Request, siteSlug: string, postId: Id<"posts">, views: ViewBatcher = sharedViewBatcher()): string | null {
  if (!countsAsView(request)) return null;
  const seen = viewedIds(request);
  if (seen.includes(postId)) return null;
  views.add(siteSlug, postId);
  const ids = [...seen, postId].slice(-MAX_IDS);
  const secure = new URL(request.url).protocol === "https:" ? "; Secure" : "";
  return `${VIEWED_COOKIE}=${ids.join(".")}; Path=/; HttpOnly; SameSite=Lax${secure}`;
}
