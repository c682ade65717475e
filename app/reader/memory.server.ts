import { sharedQueryCacheStats } from "./cache.server";
import { cardMemoStats } from "./card-memo.server";
import { responseCacheStats } from "./front.server";
import { cardCacheStats } from "./og-card.server";
import { renderMemoBytes } from "./render.server";

/**
 * What this server process holds in its caches, by entries and bytes (issue #18: every cache is
 * bounded by bytes; this says how full each is). The production server prints it with the process's
 * heap on SIGUSR2 (app/server/index.ts); the reader bench asks for it after its load.
 */
export function memoryReport() {
  return {
    responses: responseCacheStats(),
    queries: sharedQueryCacheStats(),
    renderedBodies: { chars: renderMemoBytes() },
    renderedCards: cardMemoStats(),
    shareCards: cardCacheStats(),
  };
}
