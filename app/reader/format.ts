// Formatting shared by server and browser. Dates are formatted in UTC so the server's markup and
// the hydrated markup agree whatever the reader's time zone.
import { formatMoney } from "../utils/money";

const LONG = new Intl.DateTimeFormat("en-US", { year: "numeric", month: "long", day: "numeric", timeZone: "UTC" });

export function formatDate(ms: number): string {
  return LONG.format(new Date(ms));
}

export function isoDate(ms: number): string {
  return new Date(ms).toISOString();
}

export function readingTime(minutes: number): string {
  return `${minutes} min read`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
}

/** Initials for an avatar placeholder. */
export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  return ((parts[0]?.[0] ?? "?") + (parts.length > 1 ? parts[parts.length - 1][0] : "")).toUpperCase();
}

/** "$7 / month" (whole amounts without cents). */
export function formatPrice(cents: number, currency: string, interval: "month" | "year"): string {
  return `${formatMoney(cents, currency, { wholeWithoutCents: true })} / ${interval}`;
}
