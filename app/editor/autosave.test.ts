// Over 400 lines: one suite for the autosave state machine, grouped by concern (describe blocks).
import { ConvexError } from "convex/values";
import { ERROR_CODES, UNEXPECTED_MESSAGE } from "../../convex/shared/errors";
import { describe, expect, it } from "vitest";
import {
  AutosaveController,
  LocalStorageBackupStore,
  isNetworkError,
  type AutosaveOptions,
  type AutosaveStatus,
  type KeyValueStorage,
  type PostDraft,
  type SaveResult,
} from "./autosave";

// A deterministic clock and timer queue (the controller's timers are injected).
class FakeClock {
  t = 1_000_000;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private nextId = 1;
  now = () => this.t;
  setTimer = (fn: () => void, ms: number) => {
    const id = this.nextId++;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  };
  clearTimer = (h: unknown) => {
    this.timers.delete(h as number);
  };
  pending() {
    return this.timers.size;
  }
  /** Runs every timer due within `ms`, in order, letting promise callbacks run in between. */
  async advance(ms: number) {
    const end = this.t + ms;
    for (;;) {
      await settle();
      const due = [...this.timers.entries()].filter(([, x]) => x.at <= end).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!due) break;
      this.t = due[1].at;
      this.timers.delete(due[0]);
      due[1].fn();
    }
    this.t = end;
    await settle();
  }
}
const settle = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

interface Call {
  draft: PostDraft;
  expectedVersion: number;
  explicit: boolean;
  at: number;
  resolve: (r: SaveResult) => void;
  reject: (e: unknown) => void;
  answered: boolean;
}

/** posts:saveDraft's contract: CONFLICT (nothing written) when expectedVersion is stale. */
class FakeServer {
  version = 1;
  draft: PostDraft = { title: "Server title", doc: '{"type":"doc"}' };
  updatedAt = 0;
  calls: Call[] = [];
  /** Every draft a save of ours wrote (later saves by others may replace it). */
  accepted: PostDraft[] = [];
  /** Answer each call at once (else the test calls answer()). */
  auto = true;
  mode: "up" | "offline" | "error" | "appliedButLost" = "up";
  constructor(private clock: FakeClock) {}

  save = (draft: PostDraft, expectedVersion: number, { explicit }: { explicit: boolean }): Promise<SaveResult> =>
    new Promise((resolve, reject) => {
      const call: Call = { draft, expectedVersion, explicit, at: this.clock.now(), resolve, reject, answered: false };
      this.calls.push(call);
      if (this.auto) this.answer(call);
    });

  answer(call = this.calls.find((c) => !c.answered)!) {
    call.answered = true;
    if (this.mode === "offline") return call.reject(new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } }));
    if (this.mode === "error") return call.reject(new ConvexError({ code: "INVALID_ARGUMENT", field: "doc", message: "The document is not valid JSON." }));
    if (call.expectedVersion !== this.version) {
      return call.reject(
        new ConvexError({
          code: "CONFLICT",
          currentVersion: this.version,
          current: { ...this.draft, excerpt: null, updatedAt: this.updatedAt, updatedBy: "users|other" },
        }),
      );
    }
    this.version += 1;
    this.draft = { ...this.draft, ...call.draft };
    this.accepted.push(call.draft);
    this.updatedAt = this.clock.now();
    if (this.mode === "appliedButLost") return call.reject(new TypeError("Failed to fetch"));
    call.resolve({ version: this.version, updatedAt: this.updatedAt });
  }

  /** Someone else saves. */
  otherSave(draft: PostDraft) {
    this.version += 1;
    this.draft = { ...this.draft, ...draft };
    this.updatedAt = this.clock.now();
  }
}

class MemoryStorage implements KeyValueStorage {
  data = new Map<string, string>();
  getItem(k: string) {
    return this.data.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.data.set(k, v);
  }
  removeItem(k: string) {
    this.data.delete(k);
  }
}

function setup(overrides: Partial<AutosaveOptions> = {}) {
  const clock = new FakeClock();
  const server = new FakeServer(clock);
  const storage = new MemoryStorage();
  const backup = new LocalStorageBackupStore(storage);
  const statuses: AutosaveStatus[] = [];
  const ctl = new AutosaveController({
    postId: "p1",
    version: server.version,
    updatedAt: 0,
    save: server.save,
    backup,
    now: clock.now,
    setTimer: clock.setTimer,
    clearTimer: clock.clearTimer,
    onStatus: (s) => statuses.push(s),
    ...overrides,
  });
  return { clock, server, storage, backup, statuses, ctl, kinds: () => statuses.map((s) => s.kind) };
}

const d = (n: number): PostDraft => ({ title: `Title ${n}`, doc: JSON.stringify({ type: "doc", content: [{ type: "paragraph", content: [{ type: "text", text: `v${n}` }] }] }) });

describe("AutosaveController: timing", () => {
  it("saves about 1 s after typing stops", async () => {
    const { clock, server, ctl, kinds } = setup();
    ctl.change(d(1));
    await clock.advance(500);
    ctl.change(d(2));
    await clock.advance(900);
    expect(server.calls).toHaveLength(0);
    expect(ctl.getStatus()).toEqual({ kind: "dirty" });
    await clock.advance(100);
    expect(server.calls).toHaveLength(1);
    expect(server.calls[0]).toMatchObject({ draft: d(2), expectedVersion: 1, explicit: false });
    expect(ctl.getStatus()).toEqual({ kind: "saved", at: clock.now() });
    expect(kinds()).toEqual(["dirty", "saving", "saved"]);
  });

  it("saves at least every 5 s while typing goes on", async () => {
    const { clock, server, ctl } = setup();
    const start = clock.now();
    for (let i = 1; i <= 40; i++) {
      ctl.change(d(i)); // a keystroke every 300 ms for 12 s
      await clock.advance(300);
    }
    const times = server.calls.map((c) => c.at - start);
    expect(times).toEqual([5000, 10_100]); // the second window starts with the first change after a save
    await clock.advance(1000);
    expect(server.calls.at(-1)!.draft).toEqual(d(40));
    expect(server.draft).toMatchObject(d(40));
  });

  it("chains versions: each save sends the version the previous one returned", async () => {
    const { clock, server, ctl } = setup();
    for (let i = 1; i <= 3; i++) {
      ctl.change(d(i));
      await clock.advance(1500);
    }
    expect(server.calls.map((c) => c.expectedVersion)).toEqual([1, 2, 3]);
    expect(ctl.getVersion()).toBe(4);
  });
});

describe("AutosaveController: backup", () => {
  it("writes every change to the backup synchronously, before any network call", () => {
    const { server, backup, ctl } = setup();
    ctl.change(d(1));
    expect(server.calls).toHaveLength(0);
    expect(backup.read("p1")).toEqual({ draft: d(1), savedAt: expect.any(Number), baseVersion: 1 });
    ctl.change(d(2));
    expect(backup.read("p1")!.draft).toEqual(d(2));
  });

  it("clears the backup after the newest change is saved", async () => {
    const { clock, backup, ctl } = setup();
    ctl.change(d(1));
    await clock.advance(1000);
    expect(backup.read("p1")).toBeNull();
  });

  it("keeps (and rebases) the backup when a newer change came in during the save", async () => {
    const { clock, server, backup, ctl } = setup();
    server.auto = false;
    ctl.change(d(1));
    await clock.advance(1000);
    expect(server.calls).toHaveLength(1);
    ctl.change(d(2)); // typed while saving
    server.answer();
    await settle();
    expect(backup.read("p1")).toEqual({ draft: d(2), savedAt: expect.any(Number), baseVersion: 2 });
    expect(ctl.getStatus().kind).toBe("dirty");
  });

  it("a failing backup store is reported, and saving goes on", async () => {
    const errors: unknown[] = [];
    const { clock, server, ctl } = setup({
      backup: { write: () => { throw new DOMException("full", "QuotaExceededError"); }, read: () => null, clear: () => {} },
      onBackupError: (e) => errors.push(e),
    });
    ctl.change(d(1));
    await clock.advance(1000);
    expect(errors).toHaveLength(1);
    expect(server.draft).toMatchObject(d(1));
  });
});

describe("AutosaveController: saves in flight", () => {
  it("a change during an in-flight save is saved next, with the new version", async () => {
    const { clock, server, ctl, kinds } = setup();
    server.auto = false;
    ctl.change(d(1));
    await clock.advance(1000);
    expect(ctl.getStatus()).toEqual({ kind: "saving" });
    ctl.change(d(2));
    await clock.advance(1000); // its debounce runs out while the first save is still pending
    expect(server.calls).toHaveLength(1); // never two saves at once
    server.answer();
    await settle();
    expect(server.calls).toHaveLength(2);
    expect(server.calls[1]).toMatchObject({ draft: d(2), expectedVersion: 2 });
    server.answer();
    await settle();
    expect(server.draft).toMatchObject(d(2));
    expect(ctl.getStatus().kind).toBe("saved");
    expect(ctl.hasUnsavedChanges()).toBe(false);
    expect(kinds()).toEqual(["dirty", "saving", "saved"]); // "saving" straight into "saving" is one status
  });

  it("a change during an in-flight save waits for its own debounce after the save", async () => {
    const { clock, server, ctl } = setup();
    server.auto = false;
    ctl.change(d(1));
    await clock.advance(1000);
    ctl.change(d(2));
    server.answer();
    await settle();
    expect(ctl.getStatus()).toEqual({ kind: "dirty" });
    expect(server.calls).toHaveLength(1);
    server.auto = true;
    await clock.advance(1000);
    expect(server.calls).toHaveLength(2);
    expect(ctl.getStatus().kind).toBe("saved");
  });

  it("a save pending without an answer shows offline (retryAt null) after 15 s", async () => {
    const { clock, server, ctl } = setup();
    server.auto = false;
    ctl.change(d(1));
    await clock.advance(1000);
    await clock.advance(14_999);
    expect(ctl.getStatus()).toEqual({ kind: "saving" });
    await clock.advance(1);
    expect(ctl.getStatus()).toEqual({ kind: "offline", retryAt: null });
    server.answer();
    await settle();
    expect(ctl.getStatus().kind).toBe("saved");
  });
});

describe("AutosaveController: offline", () => {
  it("goes offline on network errors, retries with backoff 1 s → 30 s, keeps every change, then saves", async () => {
    const { clock, server, backup, ctl, statuses } = setup();
    server.mode = "offline";
    ctl.change(d(1));
    await clock.advance(1000);
    expect(ctl.getStatus()).toEqual({ kind: "offline", retryAt: clock.now() + 1000 });
    const failedAt: number[] = [];
    for (let i = 0; i < 7; i++) {
      const s = ctl.getStatus() as { kind: "offline"; retryAt: number };
      failedAt.push(s.retryAt - clock.now());
      await clock.advance(s.retryAt - clock.now());
    }
    expect(failedAt).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    ctl.change(d(2)); // typing while offline: kept on the device
    expect(backup.read("p1")!.draft).toEqual(d(2));
    const callsBefore = server.calls.length;
    await clock.advance(1000); // no extra request for the change: the scheduled retry carries it
    expect(server.calls.length).toBe(callsBefore);
    server.mode = "up";
    await clock.advance(30_000);
    expect(server.draft).toMatchObject(d(2));
    expect(backup.read("p1")).toBeNull();
    expect(ctl.getStatus().kind).toBe("saved");
    expect(statuses.filter((s) => s.kind === "offline").length).toBeGreaterThanOrEqual(8);
    // backoff starts over after a success
    server.mode = "offline";
    ctl.change(d(3));
    await clock.advance(1000);
    expect(ctl.getStatus()).toEqual({ kind: "offline", retryAt: clock.now() + 1000 });
  });

  it("retryNow() retries at once (the studio calls it on the browser's online event)", async () => {
    const { clock, server, ctl } = setup();
    server.mode = "offline";
    ctl.change(d(1));
    await clock.advance(1000);
    server.mode = "up";
    ctl.retryNow();
    await settle();
    expect(ctl.getStatus().kind).toBe("saved");
    expect(server.draft).toMatchObject(d(1));
  });

  it("a save that went through but whose answer was lost is not reported as a conflict", async () => {
    const { clock, server, ctl } = setup();
    server.mode = "appliedButLost";
    ctl.change(d(1));
    await clock.advance(1000);
    expect(ctl.getStatus().kind).toBe("offline");
    server.mode = "up";
    await clock.advance(1000); // the retry gets CONFLICT with our own draft as the current one
    expect(ctl.getStatus().kind).toBe("saved");
    expect(ctl.getVersion()).toBe(server.version);
    ctl.change(d(2));
    await clock.advance(1000);
    expect(server.draft).toMatchObject(d(2));
  });
});

describe("AutosaveController: errors", () => {
  it("shows other failures as errors (not swallowed, not retried in a loop) and saves again on the next change", async () => {
    const { clock, server, backup, ctl } = setup();
    server.mode = "error";
    ctl.change(d(1));
    await clock.advance(1000);
    expect(ctl.getStatus()).toEqual({ kind: "error", message: "The document is not valid JSON." });
    await clock.advance(60_000);
    expect(server.calls).toHaveLength(1);
    expect(backup.read("p1")!.draft).toEqual(d(1));
    server.mode = "up";
    ctl.change(d(2));
    expect(ctl.getStatus().kind).toBe("error"); // stays visible until a save succeeds
    await clock.advance(1000);
    expect(ctl.getStatus().kind).toBe("saved");
    expect(server.draft).toMatchObject(d(2));
  });

  it("retryNow() after an error", async () => {
    const { clock, server, ctl } = setup();
    server.mode = "error";
    ctl.change(d(1));
    await clock.advance(1000);
    server.mode = "up";
    ctl.retryNow();
    await settle();
    expect(server.draft).toMatchObject(d(1));
  });

  it("a plain Error from the server is an error with the generic message, never its internal text", async () => {
    const { clock, ctl } = setup({ save: () => Promise.reject(new Error("[Request ID: 1] Server Error: secret detail")) });
    ctl.change(d(1));
    await clock.advance(1000);
    expect(ctl.getStatus()).toEqual({ kind: "error", message: UNEXPECTED_MESSAGE });
  });

  it("a catalogue code without copy of its own shows the catalogue's line, not its message", async () => {
    const { clock, ctl } = setup({ save: () => Promise.reject(new ConvexError({ code: "FORBIDDEN", message: "member row 123 missing" })) });
    ctl.change(d(1));
    await clock.advance(1000);
    expect(ctl.getStatus()).toEqual({ kind: "error", message: ERROR_CODES.FORBIDDEN });
  });
});

describe("AutosaveController: conflicts", () => {
  async function conflicted() {
    const t = setup();
    t.server.otherSave({ title: "Their title", doc: '{"type":"doc","content":[]}' }); // version 2
    t.ctl.change(d(1));
    await t.clock.advance(1000);
    return t;
  }

  it("stops on CONFLICT with mine, theirs and the current version; nothing is overwritten", async () => {
    const { clock, server, ctl, backup } = await conflicted();
    expect(ctl.getStatus()).toEqual({
      kind: "conflict",
      mine: d(1),
      theirs: expect.objectContaining({ title: "Their title", doc: '{"type":"doc","content":[]}', updatedBy: "users|other" }),
      currentVersion: 2,
    });
    expect(server.draft.title).toBe("Their title");
    ctl.change(d(2)); // typing goes on: kept locally, no save
    await clock.advance(60_000);
    expect(server.calls).toHaveLength(1);
    expect(server.draft.title).toBe("Their title");
    expect(ctl.getStatus()).toMatchObject({ kind: "conflict", mine: d(2) });
    expect(backup.read("p1")!.draft).toEqual(d(2));
    expect(await ctl.flush()).toMatchObject({ kind: "conflict" }); // explicit save does not bypass it
    expect(server.calls).toHaveLength(1);
  });

  it('resolveConflict("mine") saves the local draft over the current version', async () => {
    const { server, ctl, backup } = await conflicted();
    ctl.resolveConflict("mine");
    await settle();
    expect(server.calls.at(-1)).toMatchObject({ draft: d(1), expectedVersion: 2 });
    expect(server.draft).toMatchObject(d(1));
    expect(ctl.getStatus().kind).toBe("saved");
    expect(backup.read("p1")).toBeNull();
  });

  it('resolveConflict("theirs") discards local changes without saving', async () => {
    const { clock, server, ctl, backup } = await conflicted();
    ctl.resolveConflict("theirs");
    expect(ctl.getStatus()).toEqual({ kind: "saved", at: server.updatedAt });
    expect(backup.read("p1")).toBeNull();
    expect(ctl.hasUnsavedChanges()).toBe(false);
    await clock.advance(10_000);
    expect(server.calls).toHaveLength(1);
    expect(server.draft.title).toBe("Their title");
    ctl.change(d(5)); // editing goes on from their version
    await clock.advance(1000);
    expect(server.calls.at(-1)).toMatchObject({ draft: d(5), expectedVersion: 2 });
    expect(server.draft).toMatchObject(d(5));
  });

  it("resolveConflict(merged) saves the merged draft", async () => {
    const { server, ctl } = await conflicted();
    const merged = { title: "Merged", doc: d(1).doc };
    ctl.resolveConflict(merged);
    await settle();
    expect(server.calls.at(-1)).toMatchObject({ draft: merged, expectedVersion: 2 });
    expect(server.draft.title).toBe("Merged");
  });

  it("a conflict while resolving (someone saved again) is another conflict, still no overwrite", async () => {
    const { server, ctl } = await conflicted();
    server.otherSave({ title: "Third" });
    ctl.resolveConflict("mine");
    await settle();
    expect(ctl.getStatus()).toMatchObject({ kind: "conflict", currentVersion: 3 });
    expect(server.draft.title).toBe("Third");
  });
});

describe("AutosaveController: flush and dispose", () => {
  it("flush() saves at once as an explicit save", async () => {
    const { server, ctl } = setup();
    ctl.change(d(1));
    const status = await ctl.flush();
    expect(status.kind).toBe("saved");
    expect(server.calls).toEqual([expect.objectContaining({ draft: d(1), explicit: true })]);
  });

  it("flush() with nothing unsaved still makes an explicit save (a revision) of the current draft", async () => {
    const { server, ctl } = setup({ initialDraft: d(0) });
    await ctl.flush();
    expect(server.calls).toEqual([expect.objectContaining({ draft: d(0), explicit: true, expectedVersion: 1 })]);
  });

  it("flush() during an in-flight autosave waits for it, then saves explicitly with the new version", async () => {
    const { clock, server, ctl } = setup();
    server.auto = false;
    ctl.change(d(1));
    await clock.advance(1000);
    ctl.change(d(2));
    const done = ctl.flush();
    server.answer();
    await settle();
    expect(server.calls[1]).toMatchObject({ draft: d(2), explicit: true, expectedVersion: 2 });
    server.answer();
    expect((await done).kind).toBe("saved");
  });

  it("an explicit save that fails offline stays explicit when retried", async () => {
    const { clock, server, ctl } = setup();
    server.mode = "offline";
    ctl.change(d(1));
    expect((await ctl.flush()).kind).toBe("offline");
    server.mode = "up";
    await clock.advance(1000);
    expect(server.calls.at(-1)).toMatchObject({ draft: d(1), explicit: true });
  });

  it("dispose() stops timers and ignores late answers; the backup stays", async () => {
    const { clock, server, backup, ctl, statuses } = setup();
    ctl.change(d(1));
    ctl.dispose();
    await clock.advance(10_000);
    expect(server.calls).toHaveLength(0);
    expect(clock.pending()).toBe(0);
    expect(backup.read("p1")!.draft).toEqual(d(1));
    const n = statuses.length;
    ctl.change(d(2));
    expect(statuses.length).toBe(n);
  });
});

describe("AutosaveController: settle (saving before publish and the other actions)", () => {
  it("saves a pending change at once, as an ordinary save (no revision)", async () => {
    const { clock, server, ctl } = setup();
    ctl.change(d(1));
    const status = await ctl.settle();
    expect(status.kind).toBe("saved");
    expect(server.calls).toEqual([expect.objectContaining({ draft: d(1), explicit: false })]);
    await clock.advance(10_000); // the debounce that was pending does not save it again
    expect(server.calls).toHaveLength(1);
  });

  it("with nothing unsaved, resolves at once without a request", async () => {
    const { server, ctl } = setup({ initialDraft: d(0) });
    expect((await ctl.settle()).kind).toBe("saved");
    expect(server.calls).toHaveLength(0);
  });

  it("during an in-flight autosave of the latest change: waits for it and saves nothing more", async () => {
    // The case behind an extra "Saved" revision before a first publish: an uploaded image's
    // autosave is on its way when Publish is pressed. flush() would save the same text again,
    // explicitly; settle() only waits.
    const { clock, server, ctl } = setup();
    server.auto = false;
    ctl.change(d(1));
    await clock.advance(1000);
    expect(server.calls).toHaveLength(1);
    let settled = false;
    const done = ctl.settle().then((s) => ((settled = true), s));
    await settle();
    expect(settled).toBe(false);
    server.answer();
    expect((await done).kind).toBe("saved");
    await clock.advance(10_000);
    expect(server.calls).toHaveLength(1);
    expect(server.calls[0]).toMatchObject({ explicit: false });
  });

  it("during an in-flight autosave with a newer change: saves the newer one next, then resolves", async () => {
    const { clock, server, ctl } = setup();
    server.auto = false;
    ctl.change(d(1));
    await clock.advance(1000);
    ctl.change(d(2));
    const done = ctl.settle();
    server.answer();
    await settle();
    expect(server.calls[1]).toMatchObject({ draft: d(2), explicit: false, expectedVersion: 2 });
    server.answer();
    expect((await done).kind).toBe("saved");
    expect(ctl.hasUnsavedChanges()).toBe(false);
  });

  it("reports a failure instead of hanging: offline, and a conflict", async () => {
    const offline = setup();
    offline.server.mode = "offline";
    offline.ctl.change(d(1));
    expect((await offline.ctl.settle()).kind).toBe("offline");

    const conflicted = setup();
    conflicted.server.otherSave({ title: "Theirs" });
    conflicted.ctl.change(d(1));
    expect((await conflicted.ctl.settle()).kind).toBe("conflict");
  });
});

describe("AutosaveController: no keystroke is lost", () => {
  // Random typing, outages, errors, slow answers, explicit saves and other people's saves (conflicts
  // resolved as "mine"): at every step the newest change is on the server or in the backup, and
  // after recovery it is on the server and the backup is gone.
  for (let seed = 1; seed <= 40; seed++) {
    it(`random schedule #${seed}`, async () => {
      let s = seed;
      const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
      const { clock, server, backup, ctl } = setup();
      let last: PostDraft | null = null;
      for (let step = 0; step < 120; step++) {
        const r = rnd();
        if (r < 0.45) {
          last = d(step);
          ctl.change(last);
          // Invariant: the newest change is on the device at once.
          expect(backup.read("p1")!.draft).toEqual(last);
        } else if (r < 0.55) server.mode = "offline";
        else if (r < 0.6) server.mode = "error";
        else if (r < 0.7) server.mode = "up";
        else if (r < 0.75) server.auto = !server.auto;
        else if (r < 0.8) server.calls.filter((c) => !c.answered).forEach((c) => server.answer(c));
        else if (r < 0.83) void ctl.flush();
        else if (r < 0.85) server.otherSave({ title: `Other ${step}` });
        else if (r < 0.87 && ctl.getStatus().kind === "conflict") ctl.resolveConflict("mine");
        else await clock.advance(Math.floor(rnd() * 4000));
        // Invariant: the newest change has been saved or is backed up.
        if (last) {
          const saved = server.accepted.some((a) => JSON.stringify(a) === JSON.stringify(last));
          expect(saved || JSON.stringify(backup.read("p1")?.draft) === JSON.stringify(last)).toBe(true);
        }
      }
      // Recovery: the server comes back; the newest change ends up saved and the backup cleared.
      server.mode = "up";
      server.auto = true;
      server.calls.filter((c) => !c.answered).forEach((c) => server.answer(c));
      await settle();
      ctl.retryNow(); // the Retry button after an error (offline retries run by themselves)
      for (let i = 0; i < 3; i++) {
        await clock.advance(60_000);
        if (ctl.getStatus().kind === "conflict") ctl.resolveConflict("mine"); // the author keeps theirs
      }
      await clock.advance(60_000);
      if (last) {
        expect(server.accepted.map((a) => JSON.stringify(a))).toContain(JSON.stringify(last));
        expect(ctl.getStatus().kind).toBe("saved");
      }
      expect(backup.read("p1")).toBeNull();
      expect(server.calls.every((c) => c.answered)).toBe(true);
    });
  }
});

describe("Backup restore after a reload", () => {
  it("offers the unsaved draft to the next editor session, which saves it", async () => {
    const first = setup();
    first.server.mode = "offline";
    first.ctl.change(d(1));
    first.ctl.change(d(2));
    await first.clock.advance(1000);
    first.ctl.dispose(); // the tab is closed / reloaded

    const store = new LocalStorageBackupStore(first.storage);
    const entry = store.restore("p1", { version: first.server.version, updatedAt: first.server.updatedAt, draft: first.server.draft });
    expect(entry).toEqual({ draft: d(2), savedAt: expect.any(Number), baseVersion: 1 });

    first.server.mode = "up";
    const ctl = new AutosaveController({
      postId: "p1",
      version: first.server.version,
      save: first.server.save,
      backup: store,
      now: first.clock.now,
      setTimer: first.clock.setTimer,
      clearTimer: first.clock.clearTimer,
    });
    ctl.restoreBackup(entry!);
    await first.clock.advance(1000);
    expect(first.server.draft).toMatchObject(d(2));
    expect(store.read("p1")).toBeNull();
  });

  it("a restored draft edited from an older version conflicts instead of overwriting newer work", async () => {
    const t = setup();
    t.server.mode = "offline";
    t.ctl.change(d(1));
    await t.clock.advance(1000);
    t.ctl.dispose();
    t.server.mode = "up";
    t.clock.t += 60_000;
    t.server.otherSave({ title: "Saved elsewhere" }); // version 2, after our change

    const store = new LocalStorageBackupStore(t.storage);
    expect(store.restore("p1", { version: 2, updatedAt: t.server.updatedAt })).toBeNull(); // older than the server's save
    const entry = store.read("p1")!;
    const ctl = new AutosaveController({
      postId: "p1",
      version: 2,
      save: t.server.save,
      backup: store,
      now: t.clock.now,
      setTimer: t.clock.setTimer,
      clearTimer: t.clock.clearTimer,
    });
    ctl.restoreBackup(entry); // the studio chose to restore it anyway
    await t.clock.advance(1000);
    expect(ctl.getStatus()).toMatchObject({ kind: "conflict", currentVersion: 2, mine: d(1) });
    expect(t.server.draft.title).toBe("Saved elsewhere");
  });
});

describe("LocalStorageBackupStore", () => {
  it("stores one JSON entry per post and tolerates garbage", () => {
    const storage = new MemoryStorage();
    const store = new LocalStorageBackupStore(storage);
    store.write("a", { draft: d(1), savedAt: 5, baseVersion: 3 });
    expect(JSON.parse(storage.getItem("pressroom:draft:a")!)).toEqual({ v: 1, draft: d(1), savedAt: 5, baseVersion: 3 });
    expect(store.read("a")).toEqual({ draft: d(1), savedAt: 5, baseVersion: 3 });
    expect(store.read("b")).toBeNull();
    storage.setItem("pressroom:draft:b", "{not json");
    expect(store.read("b")).toBeNull();
    storage.setItem("pressroom:draft:b", JSON.stringify({ draft: d(1) }));
    expect(store.read("b")).toBeNull();
    store.clear("a");
    expect(store.read("a")).toBeNull();
  });

  it("restore() offers a backup only when it is newer than the server's draft", () => {
    const store = new LocalStorageBackupStore(new MemoryStorage());
    store.write("p", { draft: d(1), savedAt: 100, baseVersion: 4 });
    expect(store.restore("p", { version: 4, updatedAt: 500 })).not.toBeNull(); // edited from the current version
    expect(store.restore("p", { version: 5, updatedAt: 50 })).not.toBeNull(); // changed after the last save
    expect(store.restore("p", { version: 5, updatedAt: 500 })).toBeNull(); // the server has newer work
    expect(store.read("p")).not.toBeNull(); // …but it is not thrown away
    expect(store.restore("p", { version: 6, draft: { ...d(1), excerpt: null } as never })).toBeNull(); // already saved
    expect(store.read("p")).toBeNull(); // a backup equal to the server's draft is cleared
  });

  it("works without storage (SSR): nothing kept, nothing thrown", () => {
    const store = new LocalStorageBackupStore(null);
    store.write("p", { draft: d(1), savedAt: 1, baseVersion: 1 });
    expect(store.read("p")).toBeNull();
  });
});

describe("isNetworkError", () => {
  it.each([
    [new TypeError("fetch failed", { cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:3210"), { code: "ECONNREFUSED" }) }), true],
    [new TypeError("Failed to fetch"), true],
    [new TypeError("Load failed"), true],
    [new TypeError("NetworkError when attempting to fetch resource."), true],
    [Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }), true],
    [new Error("Connection lost while action was in flight"), true],
    [new ConvexError({ code: "CONFLICT" }), false],
    [new ConvexError("fetch failed"), false],
    [new Error("[Request ID: 1] Server Error"), false],
    [new TypeError("Cannot read properties of undefined"), false],
    [null, false],
  ])("%s → %s", (error, expected) => {
    expect(isNetworkError(error)).toBe(expected);
  });
});
