// A memo bounded by the characters it holds (keys and values), not by entries (issue #18: every
// cache is bounded by bytes). JavaScript strings: a character is one or two bytes in V8's heap, so
// the bound is a proxy for bytes, as the other caches' are. Eviction is least recently used by
// second chance (CLOCK): a hit only marks its entry, since moving it in the Map on every hit
// (delete, then set, each hashing the key) was a third of the card memo's cost in the profile.

interface Entry {
  value: string;
  used: boolean;
}

export class BoundedMemo {
  readonly #entries = new Map<string, Entry>();
  #chars = 0;

  constructor(readonly maxChars: number) {}

  /** What it holds now, in characters of keys and values. */
  get chars(): number {
    return this.#chars;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): string | undefined {
    const hit = this.#entries.get(key);
    if (hit === undefined) return undefined;
    hit.used = true;
    return hit.value;
  }

  /** Keeps `value` under `key` (an entry larger than the whole bound is not kept). Returns `value`. */
  set(key: string, value: string): string {
    const size = key.length + value.length;
    if (size > this.maxChars) return value;
    const old = this.#entries.get(key);
    if (old !== undefined) {
      this.#entries.delete(key);
      this.#chars -= key.length + old.value.length;
    }
    this.#entries.set(key, { value, used: false });
    this.#chars += size;
    // Oldest first: an entry used since it was last passed goes to the back, unmarked; the entry
    // just set is never the one to go (it fits the bound alone, so this ends).
    for (const [k, e] of this.#entries) {
      if (this.#chars <= this.maxChars) break;
      this.#entries.delete(k);
      if (e.used || k === key) {
        e.used = false;
        this.#entries.set(k, e);
      } else {
        this.#chars -= k.length + e.value.length;
      }
    }
    return value;
  }
}
