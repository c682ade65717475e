import { isbot } from "isbot";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import type { ReaderClient } from "./client.server";

// View counting: once per post per reader session. The session's viewed posts live in a session
// cookie (no Max-Age: it ends with the browser session); bots, prefetches and HEAD requests never
// count. The mutation is fired and not awaited, so counting never delays the page; a failed count
// is dropped (a view counter is not worth an error page).

export const VIEWED_COOKIE = "pr_viewed";
/** Newest ids kept in the cookie (Convex ids are ~32 characters: ~1.3 KB at most). */
const MAX_IDS = 40;

// Counting is fire-and-forget, so under a burst of first views the writes must not pile up without
// bound (sockets, memory): at most MAX_IN_FLIGHT run at once and MAX_QUEUED wait; beyond that a
// view is dropped and counted in viewStats.dropped.
const MAX_IN_FLIGHT = 32;
const MAX_QUEUED = 5_000;
const queue: Array<() => Promise<unknown>> = [];
let inFlight = 0;
export const viewStats = { recorded: 0, failed: 0, dropped: 0 };

function enqueueView(write: () => Promise<unknown>): void {
  if (queue.length >= MAX_QUEUED) {
    viewStats.dropped++;
    return;
  }
  queue.push(write);
  drain();
}

function drain(): void {
  while (inFlight < MAX_IN_FLIGHT && queue.length > 0) {
    const write = queue.shift()!;
    inFlight++;
    write().then(
      () => viewStats.recorded++,
      () => viewStats.failed++,
    ).finally(() => {
      inFlight--;
      drain();
    });
  }
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
export function countView(request: Request, client: ReaderClient, siteSlug: string, postId: Id<"posts">): string | null {
  if (!countsAsView(request)) return null;
  const seen = viewedIds(request);
  if (seen.includes(postId)) return null;
  enqueueView(() => client.mutation(api.reader.recordView, { siteSlug, postId }));
  const ids = [...seen, postId].slice(-MAX_IDS);
  const secure = new URL(request.url).protocol === "https:" ? "; Secure" : "";
  return `${VIEWED_COOKIE}=${ids.join(".")}; Path=/; HttpOnly; SameSite=Lax${secure}`;
}
