// Dates and times in the studio. Times are shown in the browser's own time zone, so components
// render them only after hydration (see useHydrated) to keep server and client HTML identical.
import { useEffect, useState } from "react";

/** False during the server render and hydration, true afterwards. */
export function useHydrated(): boolean {
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  return hydrated;
}

/** "12:04" */
export function clockTime(ms: number): string {
  return new Date(ms).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

/** "26 Nov 2026, 12:04" */
export function dateTime(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" });
}

/** A value for <input type="datetime-local"> in the browser's time zone. */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** <input type="datetime-local"> value → ms, or null. */
export function fromLocalInput(value: string): number | null {
  if (!value) return null;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? ms : null;
}

/** A time that renders only in the browser (UTC ISO in the markup until then). */
export function Time({ ms, format = dateTime }: { ms: number; format?: (ms: number) => string }) {
  const hydrated = useHydrated();
  const iso = new Date(ms).toISOString();
  return <time dateTime={iso}>{hydrated ? format(ms) : iso.slice(0, 16).replace("T", " ") + " UTC"}</time>;
}
