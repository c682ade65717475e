// The save status, always the truth: what is saved, what is on its way, what is only on this
// device, and what failed (with a way to retry). Announced politely to screen readers.
import type { AutosaveStatus } from "../../editor/autosave";
import { clockTime, useHydrated } from "../format";
import type { Connection, Draft } from "./use-autosave";

export type StatusView = { kind: "saved" | "saving" | "dirty" | "offline" | "error" | "conflict"; text: string };

export function statusView(status: AutosaveStatus<Draft>, connection: Connection, hydrated: boolean): StatusView {
  const disconnected = !connection.online;
  switch (status.kind) {
    case "conflict":
      return { kind: "conflict", text: "Not saved: this draft was changed elsewhere. Choose a version below." };
    case "error":
      return { kind: "error", text: `Not saved: ${sentence(status.message)} Your changes are kept on this device.` };
    case "offline":
      return { kind: "offline", text: "Offline — changes kept on this device, retrying" };
    case "saving":
    case "dirty":
      if (disconnected) return { kind: "offline", text: "Offline — changes kept on this device, retrying" };
      return status.kind === "saving" ? { kind: "saving", text: "Saving…" } : { kind: "dirty", text: "Unsaved changes" };
    case "saved": {
      const when = status.at && hydrated ? ` ${clockTime(status.at)}` : "";
      return { kind: "saved", text: disconnected ? `Saved${when} · offline` : `Saved${when}` };
    }
  }
}

/** The controller reports user text (toUserError); end it as a sentence before the next one. */
function sentence(message: string): string {
  return /[.!?]$/.test(message) ? message : `${message}.`;
}

export function StatusLine({
  status,
  connection,
  onRetry,
}: {
  status: AutosaveStatus<Draft>;
  connection: Connection;
  onRetry: () => void;
}) {
  const hydrated = useHydrated();
  const view = statusView(status, connection, hydrated);
  return (
    <p className={`st-save-status st-save-status--${view.kind}`} role="status" aria-live="polite" data-testid="save-status" data-state={view.kind}>
      <span>{view.text}</span>
      {view.kind === "error" || view.kind === "offline" ? (
        <button type="button" className="st-link-button" onClick={onRetry}>
          Retry now
        </button>
      ) : null}
    </p>
  );
}
