import { ConvexClient } from "convex/browser";
import { isbot } from "isbot";
import { randomBytes } from "node:crypto";
import { internal } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { MAX_VIEW_BATCH } from "../../convex/shared/constants";
import { serverEnv } from "../env.server";
import { adminCallable, convexClient, convexUrl, withAdminKey } from "../utils/convex.server";
import { sharedQueryCache, UnrefWebSocket } from "./cache.server";

// View counting: once per post per reader session. The session's viewed posts live in a session
// cookie (no Max-Age: it ends with the browser session); bots, prefetches and HEAD requests never
// count. Views are written in batches (reader:recordViews, per site, up to MAX_VIEW_BATCH views or
// 250 ms): counting never delays the page, and a burst of readers costs a few mutations instead of
// one each (each one is a function call, and on a single machine, CPU next to the pages). A failed
// batch is dropped (a view counter is not worth an error page).
// reader:recordViews is internal, so no browser or script can add views: this server sends them
// with its admin key (CONVEX_ADMIN_KEY; on Convex cloud, a deploy key), each view with a random
// token it issues here, which the backend counts at most once (a resent batch adds nothing).

export const VIEWED_COOKIE = "pr_viewed";
/** Newest ids kept in the cookie (Convex ids are ~32 characters: ~1.3 KB at most). */
const MAX_IDS = 40;

/** One view to count: the post, and the token this server issued for the view. */
export interface View {
  postId: Id<"posts">;
  token: string;
}

type Sender = (siteSlug: string, views: View[]) => Promise<unknown>;

/** A fresh view token: 128 random bits, URL-safe (what reader:recordViews accepts). */
export function newViewToken(): string {
  return randomBytes(16).toString("base64url");
}

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
  private readonly pending = new Map<string, View[]>();
  private readonly ready: Array<[string, View[]]> = [];
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

  add(siteSlug: string, postId: Id<"posts">, token: string = newViewToken()): void {
    if (this.waiting >= this.opts.maxWaiting) {
      this.stats.dropped++;
      return;
    }
    this.waiting++;
    const list = this.pending.get(siteSlug) ?? [];
    list.push({ postId, token });
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
      const [siteSlug, views] = this.ready.shift()!;
      this.inFlight++;
      this.stats.batches++;
      this.send(siteSlug, views)
        .then(
          () => (this.stats.recorded += views.length),
          (error: unknown) => {
            this.stats.failed += views.length;
            // Visible, not per failure: at most one line a minute.
            if (Date.now() - this.lastErrorLog > 60_000) {
              this.lastErrorLog = Date.now();
              console.error(`[pressroom] a batch of ${views.length} views failed:`, error instanceof Error ? `${error.message}${error.cause ? ` (${String((error.cause as Error).message ?? error.cause)})` : ""}` : error);
            }
          },
        )
        .finally(() => {
          this.inFlight--;
          this.waiting -= views.length;
          this.drain();
        });
    }
  }
}

/** reader:recordViews (internal: the backend runs it only for a caller holding the admin key). */
export const RECORD_VIEWS = adminCallable(internal.reader.recordViews);

let shared: ViewBatcher | null = null;
let socket: ConvexClient | null = null;


/**
 * The process's batcher, writing with the server's admin key: over a WebSocket of its own when
 * the reader cache is on (production: retried across reconnects, and the tokens make a replay
 * harmless), else over HTTP. Without CONVEX_ADMIN_KEY views cannot be counted: each batch fails
 * (logged at most once a minute, counted in stats.failed).
 */
export function sharedViewBatcher(): ViewBatcher {
  shared ??= new ViewBatcher((siteSlug, views) => {
    const key = serverEnv.CONVEX_ADMIN_KEY;
    if (!key) return Promise.reject(new Error("views are not counted: CONVEX_ADMIN_KEY is not set (the server's admin or deploy key)"));
    const args = { siteSlug, views };
    if (sharedQueryCache()) {
      socket ??= withAdminKey(
        new ConvexClient(convexUrl(), { webSocketConstructor: UnrefWebSocket as unknown as typeof globalThis.WebSocket, unsavedChangesWarning: false }),
        key,
      );
      return socket.mutation(RECORD_VIEWS, args);
    }
    return withAdminKey(convexClient(), key).mutation(RECORD_VIEWS, args);
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
