// The editor page's autosave: app/editor/autosave.ts's AutosaveController wired to posts:saveDraft
// through the browser's Convex client, plus what the page needs around it:
// - the status, merged with the Convex socket's state, so "offline" shows the moment the
//   connection drops (a mutation on a closed socket waits in the client's queue, it never fails);
// - the local backup offered back after a reload or crash (LocalStorageBackupStore.restore);
// - "rebasing" onto a newer server draft when this tab has nothing unsaved (another tab or
//   another editor saved): a fresh controller from that version, no write, no conflict.
import { useConvex } from "convex/react";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { api } from "../../../convex/_generated/api";
import type { Id } from "../../../convex/_generated/dataModel";
import {
  AutosaveController,
  LocalStorageBackupStore,
  type AutosaveStatus,
  type BackupEntry,
  type TheirDraft,
} from "../../editor/autosave";

/** Everything of a post that autosave writes (posts:saveDraft's fields), as strings. */
export type Draft = { title: string; excerpt: string; seoTitle: string; seoDescription: string; doc: string };
export type Theirs = TheirDraft<Draft>;

export type ServerDraft = {
  version: number;
  updatedAt: number;
  title: string;
  excerpt: string | null;
  seoTitle: string | null;
  seoDescription: string | null;
  doc: string;
};

export function draftOf(server: Pick<ServerDraft, "title" | "excerpt" | "seoTitle" | "seoDescription" | "doc">): Draft {
  return {
    title: server.title,
    excerpt: server.excerpt ?? "",
    seoTitle: server.seoTitle ?? "",
    seoDescription: server.seoDescription ?? "",
    doc: server.doc,
  };
}

export function draftFromTheirs(theirs: Theirs, fallback: Draft): Draft {
  return {
    title: theirs.title ?? fallback.title,
    excerpt: theirs.excerpt ?? "",
    seoTitle: theirs.seoTitle ?? "",
    seoDescription: theirs.seoDescription ?? "",
    doc: theirs.doc ?? fallback.doc,
  };
}

/** Debounce and retry timing: save ~1 s after typing stops, at least every 5 s while it goes on. */
const TIMING = { debounceMs: 1000, maxWaitMs: 5000, offlineAfterMs: 3000, retryMs: 1000, maxRetryMs: 15_000 };

export type Connection = { online: boolean; everConnected: boolean };

/** The Convex socket's state (plus the browser's own online flag), live. */
export function useConnection(): Connection {
  const convex = useConvex();
  const [state, setState] = useState<Connection>({ online: true, everConnected: false });
  useEffect(() => {
    if (!convex) return;
    const read = () => {
      const s = convex.connectionState();
      const browserOnline = typeof navigator === "undefined" ? true : navigator.onLine;
      setState({ online: browserOnline && (s.isWebSocketConnected || !s.hasEverConnected), everConnected: s.hasEverConnected });
    };
    read();
    const unsubscribe = convex.subscribeToConnectionState(read);
    window.addEventListener("online", read);
    window.addEventListener("offline", read);
    return () => {
      unsubscribe();
      window.removeEventListener("online", read);
      window.removeEventListener("offline", read);
    };
  }, [convex]);
  return state;
}

export interface AutosaveApi {
  status: AutosaveStatus<Draft>;
  /** The version this tab's next save sends (what it last saw of the server). */
  version: () => number;
  change: (draft: Draft) => void;
  /** An explicit save now (keeps a revision); resolves with the resulting status. */
  flush: () => Promise<AutosaveStatus<Draft>>;
  /** Saves what is unsaved now, without a revision (before publish and the other actions); resolves with the status. */
  settle: () => Promise<AutosaveStatus<Draft>>;
  retry: () => void;
  hasUnsavedChanges: () => boolean;
  resolveConflict: (resolution: "mine" | "theirs" | Draft) => void;
  /** Starts over from a server draft this tab has no unsaved changes against. */
  rebase: (server: ServerDraft) => void;
  /** A backup from an earlier visit that is newer than the server's draft, until restored or discarded. */
  offer: BackupEntry<Draft> | null;
  restoreOffer: () => BackupEntry<Draft> | null;
  discardOffer: () => void;
}

export function useAutosave({ siteId, postId, server }: { siteId: Id<"sites">; postId: Id<"posts">; server: ServerDraft }): AutosaveApi {
  const convex = useConvex();
  const backup = useMemo(() => new LocalStorageBackupStore<Draft>(), []);
  const [status, setStatus] = useState<AutosaveStatus<Draft>>({ kind: "saved", at: server.updatedAt });
  const [offer, setOffer] = useState<BackupEntry<Draft> | null>(null);
  const controller = useRef<AutosaveController<Draft> | null>(null);
  const firstServer = useRef(server);

  const create = useCallback(
    (from: ServerDraft) => {
      controller.current?.dispose();
      const c = new AutosaveController<Draft>({
        postId,
        version: from.version,
        updatedAt: from.updatedAt,
        initialDraft: draftOf(from),
        backup,
        ...TIMING,
        save: (draft, expectedVersion, { explicit }) =>
          convex.mutation(api.posts.saveDraft, { siteId, postId, expectedVersion, explicit, ...draft }),
        onStatus: (s) => {
          if (controller.current === c) setStatus(s);
        },
        onBackupError: (error) => console.error("Draft backup failed:", error),
      });
      controller.current = c;
      setStatus(c.getStatus());
      return c;
    },
    [backup, convex, postId, siteId],
  );

  useEffect(() => {
    if (!convex) return;
    const from = firstServer.current;
    create(from);
    // A backup newer than what the server has (typed offline, or lost in a crash) is offered back.
    setOffer(backup.restore(postId, { version: from.version, updatedAt: from.updatedAt, draft: draftOf(from) }));
    return () => {
      // Leaving the page inside the app (a link, not a reload): what is unsaved goes out now, as
      // an ordinary save (leaving is not asking for a revision); the backup stays until a later
      // visit sees the server has it.
      const c = controller.current;
      if (c?.hasUnsavedChanges()) void c.settle();
      c?.dispose();
      controller.current = null;
    };
  }, [backup, convex, create, postId]);

  // Back online: don't wait for the next backoff step.
  useEffect(() => {
    const retry = () => controller.current?.retryNow();
    window.addEventListener("online", retry);
    return () => window.removeEventListener("online", retry);
  }, []);

  // Leaving with unsaved changes: the browser asks (the backup would survive anyway).
  useEffect(() => {
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      if (controller.current?.hasUnsavedChanges()) {
        event.preventDefault();
        event.returnValue = "";
      }
    };
    window.addEventListener("beforeunload", onBeforeUnload);
    return () => window.removeEventListener("beforeunload", onBeforeUnload);
  }, []);

  return {
    status,
    version: () => controller.current?.getVersion() ?? firstServer.current.version,
    change: (draft) => controller.current?.change(draft),
    flush: () => controller.current?.flush() ?? Promise.resolve(status),
    settle: () => controller.current?.settle() ?? Promise.resolve(status),
    retry: () => controller.current?.retryNow(),
    hasUnsavedChanges: () => controller.current?.hasUnsavedChanges() ?? false,
    resolveConflict: (resolution) => controller.current?.resolveConflict(resolution),
    rebase: (next) => {
      create(next);
    },
    offer,
    restoreOffer: () => {
      const entry = offer;
      setOffer(null);
      if (entry) controller.current?.restoreBackup(entry);
      return entry;
    },
    discardOffer: () => {
      setOffer(null);
      backup.clear(postId);
    },
  };
}
