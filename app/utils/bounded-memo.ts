// A memo bounded by the characters it holds (keys and values), not by entries (issue #18: every
// cache is bounded by bytes), least recently used out first. JavaScript strings: a character is
// one or two bytes in V8's heap, so the bound is a proxy for bytes, as the other caches' are.

export class BoundedMemo {
  readonly #entries = new Map<string, string>();
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
    // Most recently used goes last.
    this.#entries.delete(key);
    this.#entries.set(key, hit);
    return hit;
  }

  /** Keeps `value` under `key` (an entry larger than the whole bound is not kept). Returns `value`. */
  set(key: string, value: string): string {
    const size = key.length + value.length;
    if (size > this.maxChars) return value;
    const old = this.#entries.get(key);
    if (old !== undefined) {
      this.#entries.delete(key);
      this.#chars -= key.length + old.length;
    }
    this.#entries.set(key, value);
    this.#chars += size;
    for (const [k, v] of this.#entries) {
      if (this.#chars <= this.maxChars) break;
      this.#entries.delete(k);
      this.#chars -= k.length + v.length;
    }
    return value;
  }
}
