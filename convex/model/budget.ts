// The work budget of one step in a chain of bounded steps (account and site deletion): each step
// does at most `units` of work and reads at most `maxBytes` of documents, then schedules the next.

/** Bytes of documents a deletion step reads before it stops (Convex allows 16 MiB per transaction). */
export const STEP_BYTES = 8 * 1024 * 1024;

/** Work left in one step: document count and bytes read. */
export class Budget {
  bytes = 0;
  constructor(
    public units: number,
    private readonly maxBytes: number,
  ) {}
  spend(doc?: object, units = 1) {
    this.units -= units;
    if (doc) this.bytes += JSON.stringify(doc).length;
  }
  /** Counts bytes only (documents read to check them, not work items). */
  read(doc: object) {
    this.bytes += JSON.stringify(doc).length;
  }
  get done() {
    return this.units <= 0 || this.bytes >= this.maxBytes;
  }
  /** How many rows of a table to take next: few at a time for tables of large documents. */
  chunk(heavy: boolean) {
    return Math.max(1, Math.min(this.units, heavy ? 4 : 100));
  }
}
