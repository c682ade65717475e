// Over 400 lines: one state machine (AutosaveController: timing, in-flight saves, offline, conflicts,
// settle) and the local backup it writes through; splitting it would split its invariants.
// Autosave for the post editor, framework-agnostic (no React, no Convex import): the studio passes
// a `save` function that calls `posts:saveDraft`, and renders the statuses this reports.
//
// Guarantees:
// - Every change is written to the backup store (localStorage) synchronously, before any network
//   call; the backup is cleared only once a save of the newest change succeeded.
// - One save at a time, each with the version the previous one returned. Changes made while a
//   save is in flight are saved next, with the new version.
// - A stale version (CONFLICT) never overwrites: autosaving stops until resolveConflict().
// - Network failures retry with exponential backoff (1 s → 30 s); other failures are reported.

import { errorCodeOf, errorData, toUserError } from "../../convex/shared/errors";

export interface PostDraft {
  title?: string;
  excerpt?: string;
  seoTitle?: string;
  seoDescription?: string;
  /** The TipTap document as JSON text. */
  doc?: string;
}

export interface SaveResult {
  version: number;
  updatedAt: number;
}

/** The server's draft when a save hit CONFLICT (`data.current` of the ConvexError). */
export type TheirDraft<D> = { [K in keyof D]?: D[K] | null } & { updatedAt?: number; updatedBy?: string };

export type AutosaveStatus<D = PostDraft> =
  | { kind: "saved"; at: number | null }
  | { kind: "saving" }
  | { kind: "dirty" }
  /** retryAt: when the next attempt runs; null while a request is pending without an answer. */
  | { kind: "offline"; retryAt: number | null }
  /** message: user text from convex/shared/errors.ts toUserError (never an internal error's text). */
  | { kind: "error"; message: string }
  | { kind: "conflict"; mine: D; theirs: TheirDraft<D>; currentVersion: number };

export interface BackupEntry<D = PostDraft> {
  draft: D;
  /** When the change was made (this device's clock). */
  savedAt: number;
  /** The server version the draft was edited from. */
  baseVersion: number;
}

export interface BackupStore<D = PostDraft> {
  /** Synchronous, so a change is on the device before any network call. */
  write(postId: string, entry: BackupEntry<D>): void;
  read(postId: string): BackupEntry<D> | null;
  clear(postId: string): void;
}

export type TimerHandle = unknown;

export interface AutosaveOptions<D = PostDraft> {
  postId: string;
  /** The draft version the editor loaded (`getForEdit().draft.version`). */
  version: number;
  /** When that version was saved, for the initial "saved" status. */
  updatedAt?: number | null;
  /** The draft as loaded, so flush() can make an explicit save before any change. */
  initialDraft?: D;
  save: (draft: D, expectedVersion: number, options: { explicit: boolean }) => Promise<SaveResult>;
  backup: BackupStore<D>;
  /** Save this long after typing stops. */
  debounceMs?: number;
  /** …and at least this often while typing goes on. */
  maxWaitMs?: number;
  /** First retry delay after a network failure, doubled per failure up to maxRetryMs. */
  retryMs?: number;
  maxRetryMs?: number;
  /** A save pending this long without an answer shows as offline (queued by a disconnected client). */
  offlineAfterMs?: number;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => TimerHandle;
  clearTimer?: (handle: TimerHandle) => void;
  onStatus?: (status: AutosaveStatus<D>) => void;
  /** A backup write failed (e.g. storage full). The save path goes on. */
  onBackupError?: (error: unknown) => void;
  isNetworkError?: (error: unknown) => boolean;
  /** Whether the server's draft already is this draft (a save whose answer was lost). */
  sameContent?: (mine: D, theirs: TheirDraft<D>) => boolean;
}

const NETWORK_MESSAGE =
  /fetch failed|failed to fetch|networkerror|network error|network request failed|load failed|ECONNREFUSED|ECONNRESET|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|EPIPE|socket hang up|connection (?:lost|closed|refused|reset)|websocket/i;

/**
 * Failures where the server never answered: fetch's TypeError ("fetch failed" in Node, "Failed to
 * fetch" / "Load failed" / "NetworkError…" in browsers), socket errors and lost Convex connections.
 * A ConvexError (the server answered with an error) is never one.
 */
export function isNetworkError(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== "object" || depth > 3) return false;
  const e = error as { name?: unknown; message?: unknown; code?: unknown; data?: unknown; cause?: unknown };
  if (e.data !== undefined) return false;
  const text = `${String(e.name ?? "")} ${String(e.message ?? "")} ${String(e.code ?? "")}`;
  if (NETWORK_MESSAGE.test(text)) return true;
  return isNetworkError(e.cause, depth + 1);
}

/** The CONFLICT ConvexError of posts:saveDraft, or null. */
export function conflictOf<D>(error: unknown): { currentVersion: number; current: TheirDraft<D> } | null {
  const data = errorData(error);
  if (!data || errorCodeOf(error) !== "CONFLICT" || typeof data.currentVersion !== "number") return null;
  const current = data.current && typeof data.current === "object" ? (data.current as TheirDraft<D>) : ({} as TheirDraft<D>);
  return { currentVersion: data.currentVersion, current };
}

/**
 * Field-by-field comparison of the fields the draft has, as posts:saveDraft stores them (strings
 * trimmed; null, undefined and "" alike).
 */
export function sameDraftContent<D>(mine: D, theirs: TheirDraft<D>): boolean {
  const norm = (v: unknown) => (v === undefined || v === null ? "" : typeof v === "string" ? v.trim() : v);
  return Object.keys(mine as object).every(
    (k) => norm((mine as Record<string, unknown>)[k]) === norm((theirs as Record<string, unknown>)[k]),
  );
}

export class AutosaveController<D extends object = PostDraft> {
  private readonly postId: string;
  private readonly saveFn: AutosaveOptions<D>["save"];
  private readonly backup: BackupStore<D>;
  private readonly debounceMs: number;
  private readonly maxWaitMs: number;
  private readonly retryMs: number;
  private readonly maxRetryMs: number;
  private readonly offlineAfterMs: number;
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => TimerHandle;
  private readonly clearTimer: (handle: TimerHandle) => void;
  private readonly onStatus?: (status: AutosaveStatus<D>) => void;
  private readonly onBackupError?: (error: unknown) => void;
  private readonly networkError: (error: unknown) => boolean;
  private readonly sameContent: (mine: D, theirs: TheirDraft<D>) => boolean;

  private version: number;
  private seq = 0;
  private savedSeq = 0;
  private latest: { draft: D; seq: number } | null;
  private lastSaved: D | null;
  private firstDirtyAt: number | null = null;
  private debounceTimer: TimerHandle | null = null;
  private retryTimer: TimerHandle | null = null;
  private slowTimer: TimerHandle | null = null;
  private retryDelay: number;
  private inFlight: Promise<void> | null = null;
  private saveWhenIdle = false;
  private explicitRequested = false;
  private conflict: { theirs: TheirDraft<D>; currentVersion: number } | null = null;
  private status: AutosaveStatus<D>;
  private disposed = false;
  private flushWaiters: Array<(s: AutosaveStatus<D>) => void> = [];

  constructor(options: AutosaveOptions<D>) {
    this.postId = options.postId;
    this.version = options.version;
    this.saveFn = options.save;
    this.backup = options.backup;
    this.debounceMs = options.debounceMs ?? 1000;
    this.maxWaitMs = Math.max(options.maxWaitMs ?? 5000, this.debounceMs);
    this.retryMs = options.retryMs ?? 1000;
    this.maxRetryMs = options.maxRetryMs ?? 30_000;
    this.offlineAfterMs = options.offlineAfterMs ?? 15_000;
    this.now = options.now ?? Date.now;
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = options.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
    this.onStatus = options.onStatus;
    this.onBackupError = options.onBackupError;
    this.networkError = options.isNetworkError ?? ((e) => isNetworkError(e));
    this.sameContent = options.sameContent ?? sameDraftContent;
    this.retryDelay = this.retryMs;
    this.latest = options.initialDraft ? { draft: options.initialDraft, seq: 0 } : null;
    this.lastSaved = options.initialDraft ?? null;
    this.status = { kind: "saved", at: options.updatedAt ?? null };
  }

  getStatus(): AutosaveStatus<D> {
    return this.status;
  }

  /** The version the next save will send as expectedVersion. */
  getVersion(): number {
    return this.version;
  }

  /** True while some change is not known to be saved (for beforeunload prompts). */
  hasUnsavedChanges(): boolean {
    return this.inFlight !== null || (this.latest !== null && this.latest.seq !== this.savedSeq);
  }

  /** The editor changed: back it up now, save it soon. */
  change(draft: D): void {
    if (this.disposed) return;
    this.seq += 1;
    this.latest = { draft, seq: this.seq };
    this.writeBackup(draft);
    if (this.conflict) {
      this.setStatus({ kind: "conflict", mine: draft, ...this.conflict });
      return;
    }
    if (this.retryTimer !== null) return; // offline: the scheduled retry saves the newest draft
    this.schedule();
    if (!this.inFlight && this.status.kind !== "error") this.setStatus({ kind: "dirty" });
  }

  /**
   * Saves now, as an explicit save (a revision is kept). Resolves with the status once this save
   * (or the failure that stopped it) is known; in a conflict, without saving.
   */
  flush(): Promise<AutosaveStatus<D>> {
    if (this.disposed) return Promise.resolve(this.status);
    if (this.conflict) return Promise.resolve(this.status);
    this.explicitRequested = true;
    const done = new Promise<AutosaveStatus<D>>((resolve) => this.flushWaiters.push(resolve));
    this.cancelRetry();
    this.saveNow();
    return done;
  }

  /**
   * Saves what is unsaved now, as an ordinary save (no revision), and resolves with the status once
   * every change made so far is saved (or the failure that stopped it is known; in a conflict,
   * without saving). For actions that must act on what the writer sees (publish, schedule…): the
   * draft gets saved, but the history only keeps what the writer asked for. Nothing unsaved and
   * nothing on its way: resolves at once, without a request.
   */
  settle(): Promise<AutosaveStatus<D>> {
    if (this.disposed || this.conflict || !this.hasUnsavedChanges()) return Promise.resolve(this.status);
    const done = new Promise<AutosaveStatus<D>>((resolve) => this.flushWaiters.push(resolve));
    this.cancelRetry();
    this.saveNow();
    return done;
  }

  /** Retries right away after a failure (e.g. on the browser's "online" event or a Retry button). */
  retryNow(): void {
    if (this.disposed || this.conflict) return;
    if (this.retryTimer === null && this.status.kind !== "error") return;
    this.cancelRetry();
    this.saveNow();
  }

  /**
   * Restores an unsaved draft from the backup (see LocalStorageBackupStore.restore). It is saved
   * against the version it was edited from, so if the server moved on since, the save is a
   * CONFLICT to resolve, never a silent overwrite.
   */
  restoreBackup(entry: BackupEntry<D>): void {
    if (this.disposed) return;
    this.version = entry.baseVersion;
    this.change(entry.draft);
  }

  /**
   * Ends a conflict. "mine": the local draft is saved over the current version. "theirs": local
   * changes are dropped (the studio loads `theirs` into the editor). A draft: that (merged) draft
   * is saved over the current version.
   */
  resolveConflict(resolution: "mine" | "theirs" | D): void {
    if (this.disposed || !this.conflict) return;
    const { theirs, currentVersion } = this.conflict;
    this.conflict = null;
    this.version = currentVersion;
    if (resolution === "theirs") {
      this.savedSeq = this.seq;
      this.latest = null;
      this.lastSaved = null;
      this.firstDirtyAt = null;
      this.clearBackup();
      this.setStatus({ kind: "saved", at: typeof theirs.updatedAt === "number" ? theirs.updatedAt : null });
      return;
    }
    if (resolution !== "mine") {
      this.seq += 1;
      this.latest = { draft: resolution, seq: this.seq };
      this.writeBackup(resolution);
    } else if (this.latest) {
      this.writeBackup(this.latest.draft); // now based on currentVersion
    }
    this.saveNow();
  }

  /** Stops timers; results of a save still in flight are ignored. The backup stays. */
  dispose(): void {
    this.disposed = true;
    this.cancelDebounce();
    this.cancelRetry();
    this.cancelSlow();
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    waiters.forEach((w) => w(this.status));
  }

  // -------------------------------------------------------------------------------------------

  private schedule(): void {
    const t = this.now();
    if (this.firstDirtyAt === null) this.firstDirtyAt = t;
    this.cancelDebounce();
    const delay = Math.max(0, Math.min(this.debounceMs, this.firstDirtyAt + this.maxWaitMs - t));
    this.debounceTimer = this.setTimer(() => {
      this.debounceTimer = null;
      this.saveNow();
    }, delay);
  }

  private saveNow(): void {
    if (this.disposed || this.conflict) return;
    if (this.inFlight) {
      this.saveWhenIdle = true;
      return;
    }
    const pending = this.latest !== null && this.latest.seq !== this.savedSeq;
    const explicit = this.explicitRequested;
    if (!pending && !(explicit && this.latest)) {
      if (explicit) {
        this.explicitRequested = false;
        this.resolveFlushes();
      }
      return;
    }
    const { draft, seq } = this.latest!;
    this.explicitRequested = false;
    this.saveWhenIdle = false;
    this.firstDirtyAt = null;
    this.cancelDebounce();
    this.setStatus({ kind: "saving" });
    this.slowTimer = this.setTimer(() => {
      this.slowTimer = null;
      if (this.inFlight) this.setStatus({ kind: "offline", retryAt: null });
    }, this.offlineAfterMs);
    const expectedVersion = this.version;
    this.inFlight = this.saveFn(draft, expectedVersion, { explicit }).then(
      (result) => this.succeeded(draft, seq, result),
      (error) => this.failed(draft, seq, explicit, error),
    );
  }

  private succeeded(draft: D, seq: number, result: SaveResult): void {
    this.inFlight = null;
    this.cancelSlow();
    if (this.disposed) return;
    this.version = result.version;
    this.savedSeq = seq;
    this.lastSaved = draft;
    this.retryDelay = this.retryMs;
    if (this.latest && this.latest.seq !== seq) {
      // A newer change arrived meanwhile: it stays backed up, now based on the new version.
      this.writeBackup(this.latest.draft);
      if (this.saveWhenIdle || this.explicitRequested) {
        this.saveNow();
        return;
      }
      if (this.debounceTimer === null) this.schedule();
      this.setStatus({ kind: "dirty" });
      return;
    }
    this.clearBackup();
    this.setStatus({ kind: "saved", at: result.updatedAt });
    if (this.explicitRequested) {
      this.saveNow();
      return;
    }
    this.resolveFlushes();
  }

  private failed(draft: D, seq: number, explicit: boolean, error: unknown): void {
    this.inFlight = null;
    this.cancelSlow();
    if (this.disposed) return;
    this.explicitRequested ||= explicit;
    const saveRequested = this.saveWhenIdle;
    this.saveWhenIdle = false;
    const conflict = conflictOf<D>(error);
    if (conflict) {
      if (this.sameContent(draft, conflict.current)) {
        // Our own earlier save went through but its answer was lost.
        this.succeeded(draft, seq, {
          version: conflict.currentVersion,
          updatedAt: typeof conflict.current.updatedAt === "number" ? conflict.current.updatedAt : this.now(),
        });
        return;
      }
      this.conflict = { theirs: conflict.current, currentVersion: conflict.currentVersion };
      this.explicitRequested = false;
      this.cancelDebounce();
      this.setStatus({ kind: "conflict", mine: this.latest?.draft ?? draft, ...this.conflict });
      this.resolveFlushes();
      return;
    }
    if (this.networkError(error)) {
      const delay = this.retryDelay;
      this.retryDelay = Math.min(this.retryDelay * 2, this.maxRetryMs);
      this.cancelDebounce();
      this.firstDirtyAt = null;
      this.retryTimer = this.setTimer(() => {
        this.retryTimer = null;
        this.saveNow();
      }, delay);
      this.setStatus({ kind: "offline", retryAt: this.now() + delay });
      this.resolveFlushes(); // the explicit save is retried with the rest
      return;
    }
    this.explicitRequested = false;
    this.setStatus({ kind: "error", message: toUserError(error).message });
    this.resolveFlushes();
    // No retry loop for the draft that failed; a newer change is different content: try it.
    if (this.latest && this.latest.seq !== seq) {
      if (saveRequested) this.saveNow();
      else if (this.debounceTimer === null) this.schedule();
    }
  }

  private resolveFlushes(): void {
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    waiters.forEach((w) => w(this.status));
  }

  private writeBackup(draft: D): void {
    try {
      this.backup.write(this.postId, { draft, savedAt: this.now(), baseVersion: this.version });
    } catch (error) {
      this.onBackupError?.(error);
    }
  }

  private clearBackup(): void {
    try {
      this.backup.clear(this.postId);
    } catch (error) {
      this.onBackupError?.(error);
    }
  }

  private cancelDebounce(): void {
    if (this.debounceTimer !== null) this.clearTimer(this.debounceTimer);
    this.debounceTimer = null;
  }

  private cancelRetry(): void {
    if (this.retryTimer !== null) this.clearTimer(this.retryTimer);
    this.retryTimer = null;
  }

  private cancelSlow(): void {
    if (this.slowTimer !== null) this.clearTimer(this.slowTimer);
    this.slowTimer = null;
  }

  private setStatus(status: AutosaveStatus<D>): void {
    const same =
      status.kind === this.status.kind && (status.kind === "dirty" || status.kind === "saving" || JSON.stringify(status) === JSON.stringify(this.status));
    this.status = status;
    if (!same) this.onStatus?.(status);
  }
}

// ---------------------------------------------------------------------------------------------

/** The part of the Web Storage API the backup store uses (window.localStorage, or a fake in tests). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Backups in localStorage, one key per post: `pressroom:draft:<postId>`. */
export class LocalStorageBackupStore<D = PostDraft> implements BackupStore<D> {
  private readonly storage: KeyValueStorage | null;
  constructor(
    storage?: KeyValueStorage | null,
    private readonly prefix = "pressroom:draft:",
  ) {
    this.storage = storage !== undefined ? storage : typeof localStorage !== "undefined" ? localStorage : null;
  }

  write(postId: string, entry: BackupEntry<D>): void {
    this.storage?.setItem(this.prefix + postId, JSON.stringify({ v: 1, ...entry }));
  }

  read(postId: string): BackupEntry<D> | null {
    let raw: string | null = null;
    try {
      raw = this.storage?.getItem(this.prefix + postId) ?? null;
    } catch {
      return null;
    }
    if (!raw) return null;
    try {
      const parsed = JSON.parse(raw) as Partial<BackupEntry<D>> & { v?: number };
      if (!parsed || typeof parsed !== "object" || !parsed.draft || typeof parsed.savedAt !== "number" || typeof parsed.baseVersion !== "number") {
        return null;
      }
      return { draft: parsed.draft as D, savedAt: parsed.savedAt, baseVersion: parsed.baseVersion };
    } catch {
      return null;
    }
  }

  clear(postId: string): void {
    this.storage?.removeItem(this.prefix + postId);
  }

  /**
   * The backup to offer when the editor opens, or null: offered if it is newer than the server's
   * draft — edited from the server's current version (or a later one), or changed after the
   * server's last save. A backup equal to the server's draft is stale and cleared.
   */
  restore(
    postId: string,
    server: { version: number; updatedAt?: number | null; draft?: TheirDraft<D> },
    sameContent: (mine: D, theirs: TheirDraft<D>) => boolean = sameDraftContent as (mine: D, theirs: TheirDraft<D>) => boolean,
  ): BackupEntry<D> | null {
    const entry = this.read(postId);
    if (!entry) return null;
    if (server.draft && sameContent(entry.draft, server.draft)) {
      this.clear(postId);
      return null;
    }
    const newer = entry.baseVersion >= server.version || (typeof server.updatedAt === "number" && entry.savedAt > server.updatedAt);
    return newer ? entry : null;
  }
}
