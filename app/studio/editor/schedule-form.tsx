// "Publish at": a local date-time for scheduling (or rescheduling) a post.
import { useEffect, useState } from "react";
import { fromLocalInput, toLocalInput, useHydrated } from "../format";

export function ScheduleForm({
  scheduledAt,
  busy,
  onSchedule,
  onUnschedule,
}: {
  scheduledAt: number | null;
  busy: boolean;
  onSchedule: (at: number) => void;
  onUnschedule?: () => void;
}) {
  const hydrated = useHydrated();
  const [value, setValue] = useState("");
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (hydrated) setValue(toLocalInput(scheduledAt ?? Date.now() + 3600_000).slice(0, 16));
  }, [hydrated, scheduledAt]);
  return (
    <div className="st-field">
      <label htmlFor="schedule-at">Publish at</label>
      <input id="schedule-at" type="datetime-local" step={1} value={value} onChange={(e) => setValue(e.target.value)} data-testid="schedule-at" />
      {error ? (
        <p className="st-error" role="alert">
          {error}
        </p>
      ) : null}
      <div className="st-inline-buttons">
        <button
          type="button"
          className="st-button"
          disabled={busy}
          onClick={() => {
            const at = fromLocalInput(value);
            if (at === null || at <= Date.now()) {
              setError("Pick a time in the future.");
              return;
            }
            setError(null);
            onSchedule(at);
          }}
        >
          {scheduledAt ? "Reschedule" : "Schedule"}
        </button>
        {onUnschedule ? (
          <button type="button" className="st-button" disabled={busy} onClick={onUnschedule}>
            Unschedule
          </button>
        ) : null}
      </div>
    </div>
  );
}
