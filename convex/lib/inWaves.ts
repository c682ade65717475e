import { asyncMap } from "convex-helpers";

/**
 * Default wave size for inWaves. A mutation's reads run in parallel to save round trips, but one
 * burst of hundreds of reads holds up every other request the deployment is serving (a reader's
 * page waits behind a send's batch); waves of this size keep most of the saving (ADR 016).
 */
export const WAVE = 25;

/** asyncMap in waves of `size`: each wave's calls run at once, the waves one after another; results in input order. */
export async function inWaves<T, R>(items: readonly T[], fn: (item: T, index: number) => Promise<R>, size = WAVE): Promise<R[]> {
  const out: R[] = [];
  for (let start = 0; start < items.length; start += size) {
    out.push(...(await asyncMap(items.slice(start, start + size), (item, i) => fn(item, start + i))));
  }
  return out;
}
