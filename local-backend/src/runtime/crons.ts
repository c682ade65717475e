// Over 400 lines: Convex's cron forms (interval, hourly, daily, weekly, monthly, cron), their validation and the schedule loop.
import type { JSONValue } from "convex/values";
import { realTimers } from "./globals.js";
import type { FunctionRunner } from "./runner.js";

/**
 * Cron jobs from `convex/crons.ts` (the default export of `cronJobs()`: `{isCrons: true, crons:
 * {[identifier]: {name, args: [json], schedule}}}`, convex@1.48.0 src/server/cron.ts).
 *
 * Schedules follow Convex's backend (get-convex/convex-backend crates/model/src/cron_jobs/
 * next_ts.rs): hourly/daily/weekly/monthly are turned into cron expressions and evaluated in UTC
 * with Cloudflare's saffron semantics, so a monthly job on day 31 skips the months without one.
 * Reference: ../shared/reference/convex-backend-facts.md §3.17.
 */

const DAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"] as const;

export type CronSchedule =
  | { type: "interval"; seconds?: number; minutes?: number; hours?: number }
  | { type: "hourly"; minuteUTC?: number }
  | { type: "daily"; hourUTC: number; minuteUTC?: number }
  | { type: "weekly"; dayOfWeek: (typeof DAYS)[number]; hourUTC: number; minuteUTC?: number }
  | { type: "monthly"; day: number; hourUTC: number; minuteUTC?: number }
  | { type: "cron"; cron: string };

export class CronScheduleError extends Error {
  override name = "CronScheduleError";
}

// ---- cron expressions -------------------------------------------------------------------------

type DomRule = { kind: "star" } | { kind: "set"; days: boolean[] } | { kind: "last"; offset: number };
type DowRule = { kind: "star" } | { kind: "set"; days: boolean[] } | { kind: "lastOf"; day: number } | { kind: "nth"; day: number; nth: number };

/** A parsed 5-field cron expression (minute hour day-of-month month day-of-week), UTC. */
export interface ParsedCron {
  minutes: boolean[];
  hours: boolean[];
  months: boolean[]; // index 1..12
  dom: DomRule;
  dow: DowRule;
}

const MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

interface FieldSpec {
  label: string;
  min: number;
  max: number;
  names?: string[];
  nameBase?: number;
}

const FIELDS = {
  minute: { label: "minute", min: 0, max: 59 },
  hour: { label: "hour", min: 0, max: 23 },
  dom: { label: "day of month", min: 1, max: 31 },
  month: { label: "month", min: 1, max: 12, names: MONTH_NAMES, nameBase: 1 },
  dow: { label: "day of week", min: 0, max: 6, names: DAY_NAMES, nameBase: 0 },
} satisfies Record<string, FieldSpec>;

function fieldError(expr: string, spec: FieldSpec, item: string, why: string): CronScheduleError {
  return new CronScheduleError(`Invalid cron expression "${expr}": ${spec.label} "${item}" ${why}.`);
}

function parseValue(expr: string, spec: FieldSpec, item: string, text: string): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n < spec.min || n > spec.max) {
      const hint = spec === FIELDS.dow && n === 7 ? " (Sunday is 0; Convex does not accept 7)" : "";
      throw fieldError(expr, spec, item, `is out of range ${spec.min}-${spec.max}${hint}`);
    }
    return n;
  }
  const idx = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  if (idx >= 0) return idx + spec.nameBase!;
  throw fieldError(expr, spec, item, "is not a number" + (spec.names ? " or a name like " + spec.names[0] : ""));
}

/**
 * One comma-separated field: `*`, `*\/s`, `a`, `a-b`, `a-b/s`, `a/s` (a to max). Ranges may wrap
 * (`FRI-MON`, `50-10`), as in saffron.
 */
function parseField(expr: string, spec: FieldSpec, text: string): boolean[] {
  const set = new Array<boolean>(spec.max + 1).fill(false);
  const span = spec.max - spec.min + 1;
  for (const item of text.split(",")) {
    if (item === "") throw fieldError(expr, spec, text, "has an empty list item");
    const [rangePart, stepPart, ...extra] = item.split("/");
    if (extra.length) throw fieldError(expr, spec, item, "has more than one '/'");
    let step = 1;
    if (stepPart !== undefined) {
      if (!/^\d+$/.test(stepPart)) throw fieldError(expr, spec, item, "has a step that is not a number");
      step = Number(stepPart);
      if (step < 1 || step > spec.max - spec.min) throw fieldError(expr, spec, item, `has a step outside 1-${spec.max - spec.min}`);
    }
    let start: number;
    let end: number;
    if (rangePart === "*") {
      start = spec.min;
      end = spec.max;
    } else if (rangePart.includes("-")) {
      const [a, b, ...more] = rangePart.split("-");
      if (more.length || a === "" || b === "") throw fieldError(expr, spec, item, "is not a valid range");
      start = parseValue(expr, spec, item, a);
      end = parseValue(expr, spec, item, b);
    } else {
      start = parseValue(expr, spec, item, rangePart);
      end = stepPart !== undefined ? spec.max : start;
    }
    const count = end >= start ? end - start + 1 : span - (start - end) + 1;
    for (let i = 0; i < count; i += step) set[spec.min + ((start - spec.min + i) % span)] = true;
  }
  return set;
}

/** Parses a 5-field cron expression; throws CronScheduleError with the offending part. */
export function parseCron(expr: string): ParsedCron {
  const parts = expr.trim().split(/\s+/);
  if (parts.length !== 5 || parts[0] === "") {
    throw new CronScheduleError(
      `Invalid cron expression "${expr}": expected 5 fields (minute hour day-of-month month day-of-week), got ${parts[0] === "" ? 0 : parts.length}.`,
    );
  }
  const [mi, ho, dm, mo, dw] = parts;
  if (parts.some((p) => p.includes("?"))) {
    throw new CronScheduleError(`Invalid cron expression "${expr}": '?' is not supported; use '*'.`);
  }
  let dom: DomRule;
  if (dm === "*") dom = { kind: "star" };
  else if (/^L(-\d+)?$/i.test(dm)) {
    const offset = dm.length > 1 ? Number(dm.slice(2)) : 0;
    if (offset > 30) throw fieldError(expr, FIELDS.dom, dm, "has an offset above 30");
    dom = { kind: "last", offset };
  } else if (/W/i.test(dm)) {
    throw new CronScheduleError(`Invalid cron expression "${expr}": the 'W' (nearest weekday) form is not supported by local-backend.`);
  } else dom = { kind: "set", days: parseField(expr, FIELDS.dom, dm) };

  let dow: DowRule;
  const lastOf = /^([A-Za-z]{3}|\d)L$/.exec(dw);
  const nth = /^([A-Za-z]{3}|\d)#(\d)$/.exec(dw);
  if (dw === "*") dow = { kind: "star" };
  else if (dw.toUpperCase() === "L") dow = { kind: "set", days: [false, false, false, false, false, false, true] };
  else if (lastOf) dow = { kind: "lastOf", day: parseValue(expr, FIELDS.dow, dw, lastOf[1]) };
  else if (nth) {
    const n = Number(nth[2]);
    if (n < 1 || n > 5) throw fieldError(expr, FIELDS.dow, dw, "has an occurrence outside 1-5");
    dow = { kind: "nth", day: parseValue(expr, FIELDS.dow, dw, nth[1]), nth: n };
  } else dow = { kind: "set", days: parseField(expr, FIELDS.dow, dw) };

  return {
    minutes: parseField(expr, FIELDS.minute, mi),
    hours: parseField(expr, FIELDS.hour, ho),
    months: parseField(expr, FIELDS.month, mo),
    dom,
    dow,
  };
}

function daysInMonth(year: number, month0: number): number {
  return new Date(Date.UTC(year, month0 + 1, 0)).getUTCDate();
}

function dayMatches(c: ParsedCron, year: number, month0: number, day: number, weekday: number): boolean {
  const dim = daysInMonth(year, month0);
  const domOk = (): boolean => {
    const r = c.dom;
    if (r.kind === "set") return r.days[day] === true;
    if (r.kind === "last") return day === dim - r.offset;
    return true;
  };
  const dowOk = (): boolean => {
    const r = c.dow;
    if (r.kind === "set") return r.days[weekday] === true;
    if (r.kind === "lastOf") return weekday === r.day && day + 7 > dim;
    if (r.kind === "nth") return weekday === r.day && Math.floor((day - 1) / 7) + 1 === r.nth;
    return true;
  };
  const domStar = c.dom.kind === "star";
  const dowStar = c.dow.kind === "star";
  // As in Vixie cron and saffron: when both day fields are restricted, either may match.
  if (domStar && dowStar) return true;
  if (domStar) return dowOk();
  if (dowStar) return domOk();
  return domOk() || dowOk();
}

/** The first whole minute strictly after `fromMs` that the expression matches (UTC). */
export function nextCronAfter(c: ParsedCron, fromMs: number, exprForErrors = "cron"): number {
  let t = Math.floor(fromMs / 60_000) * 60_000 + 60_000;
  const giveUp = fromMs + 30 * 366 * 86_400_000;
  while (t <= giveUp) {
    const d = new Date(t);
    const y = d.getUTCFullYear();
    const mo = d.getUTCMonth();
    const day = d.getUTCDate();
    const h = d.getUTCHours();
    if (!c.months[mo + 1]) {
      t = Date.UTC(y, mo + 1, 1);
      continue;
    }
    if (!dayMatches(c, y, mo, day, d.getUTCDay())) {
      t = Date.UTC(y, mo, day + 1);
      continue;
    }
    if (!c.hours[h]) {
      t = Date.UTC(y, mo, day, h + 1);
      continue;
    }
    if (!c.minutes[d.getUTCMinutes()]) {
      t += 60_000;
      continue;
    }
    return t;
  }
  throw new CronScheduleError(`The cron expression "${exprForErrors}" never matches a date (for example February 30).`);
}

// ---- Convex schedules ---------------------------------------------------------------------------

function checkInt(what: string, n: unknown, min: number, max: number): number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
    throw new CronScheduleError(`${what} must be an integer from ${min} to ${max}, got ${JSON.stringify(n)}.`);
  }
  return n;
}

/** Milliseconds between runs of an interval schedule. */
export function intervalMs(s: { seconds?: number; minutes?: number; hours?: number }): number {
  const given = [s.seconds, s.minutes, s.hours].filter((v) => v !== undefined);
  if (given.length !== 1) throw new CronScheduleError("An interval schedule needs exactly one of seconds, minutes or hours.");
  const n = given[0]!;
  if (!Number.isInteger(n) || n <= 0) throw new CronScheduleError("Interval must be an integer greater than 0.");
  return s.seconds !== undefined ? n * 1000 : s.minutes !== undefined ? n * 60_000 : n * 3_600_000;
}

/** The cron expression Convex's backend evaluates for a calendar schedule (next_ts.rs). */
export function scheduleToCron(schedule: CronSchedule, defaultMinute = 0): string {
  const minute = (m: number | undefined) => checkInt("minuteUTC", m ?? defaultMinute, 0, 59);
  switch (schedule.type) {
    case "hourly":
      return `${minute(schedule.minuteUTC)} * * * *`;
    case "daily":
      return `${minute(schedule.minuteUTC)} ${checkInt("hourUTC", schedule.hourUTC, 0, 23)} * * *`;
    case "weekly": {
      const dow = DAYS.indexOf(String(schedule.dayOfWeek).toLowerCase() as (typeof DAYS)[number]);
      if (dow < 0) throw new CronScheduleError(`dayOfWeek must be a day name like "monday", got ${JSON.stringify(schedule.dayOfWeek)}.`);
      return `${minute(schedule.minuteUTC)} ${checkInt("hourUTC", schedule.hourUTC, 0, 23)} * * ${dow}`;
    }
    case "monthly":
      return `${minute(schedule.minuteUTC)} ${checkInt("hourUTC", schedule.hourUTC, 0, 23)} ${checkInt("day", schedule.day, 1, 31)} * *`;
    case "cron":
      return schedule.cron;
    default:
      throw new CronScheduleError(`Schedule type ${JSON.stringify((schedule as { type: unknown }).type)} has no cron form.`);
  }
}

/**
 * When a job with this schedule next runs after `fromMs` (strictly after; calendar schedules run
 * on whole UTC minutes). Interval schedules run every `interval` counted from `fromMs`.
 * `defaultMinute` stands in for an omitted `minuteUTC` (CronRunner passes a stable per-job minute,
 * as Convex spreads such jobs across the hour).
 */
export function nextRunAfter(schedule: CronSchedule, fromMs: number, opts: { defaultMinute?: number } = {}): number {
  if (!schedule || typeof schedule !== "object") throw new CronScheduleError("A cron schedule must be an object with a `type`.");
  if (schedule.type === "interval") return fromMs + intervalMs(schedule);
  const expr = scheduleToCron(schedule, opts.defaultMinute ?? 0);
  return nextCronAfter(parseCron(expr), fromMs, expr);
}

/** A stable minute 0-59 for a job identifier (FNV-1a), used when `minuteUTC` is omitted. */
export function stableMinute(identifier: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < identifier.length; i++) {
    h ^= identifier.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % 60;
}

// ---- the runner ---------------------------------------------------------------------------------

interface CronSpecJson {
  name: string;
  args: JSONValue[];
  schedule: CronSchedule;
}

interface Job {
  identifier: string;
  path: string;
  args: JSONValue;
  schedule: CronSchedule;
  defaultMinute: number;
  /** JSON of the spec, to tell unchanged jobs apart on update(). */
  key: string;
  nextAt: number;
}

export interface CronRunnerOptions {
  now?: () => number;
  /** Where the one line per run goes (default console.log). */
  log?: (line: string) => void;
}

function readCrons(crons: any): Map<string, CronSpecJson> {
  const out = new Map<string, CronSpecJson>();
  if (!crons) return out;
  if (crons.isCrons !== true || typeof crons.crons !== "object") {
    throw new CronScheduleError("convex/crons.ts must `export default` the object returned by cronJobs().");
  }
  for (const [identifier, spec] of Object.entries(crons.crons as Record<string, CronSpecJson>)) out.set(identifier, spec);
  return out;
}

function buildJobs(specs: Map<string, CronSpecJson>, previous: Map<string, Job>): Map<string, Job> {
  const jobs = new Map<string, Job>();
  for (const [identifier, spec] of specs) {
    const key = JSON.stringify(spec);
    const old = previous.get(identifier);
    if (old && old.key === key) {
      jobs.set(identifier, old);
      continue;
    }
    if (typeof spec?.name !== "string") throw new CronScheduleError(`Cron "${identifier}" has no function name.`);
    const defaultMinute = stableMinute(identifier);
    try {
      // Validates the schedule (and the cron expression) now rather than at the first run.
      nextRunAfter(spec.schedule, 0, { defaultMinute });
    } catch (e) {
      throw new CronScheduleError(`Cron "${identifier}": ${(e as Error).message}`);
    }
    jobs.set(identifier, {
      identifier,
      path: spec.name,
      args: (Array.isArray(spec.args) ? spec.args[0] : spec.args) ?? {},
      schedule: spec.schedule,
      defaultMinute,
      key,
      nextAt: Infinity,
    });
  }
  return jobs;
}

/**
 * Runs the app's cron jobs on real timers. Each job runs its mutation or action (public or
 * internal) with no identity, never overlapping itself: a run that is due while the previous run
 * of the same job is still going is skipped, as Convex does. Every schedule is validated up front,
 * so a bad cron expression fails at start like a failing `convex deploy`.
 */
export class CronRunner {
  private jobs = new Map<string, Job>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private started = false;
  private stopped = false;
  private inFlight = new Set<Promise<void>>();
  /** Identifiers of jobs with a run in progress (by name, so a job replaced by update() stays exclusive). */
  private running = new Set<string>();
  private readonly now: () => number;
  private readonly log: (line: string) => void;

  constructor(
    private readonly runner: FunctionRunner,
    crons: any,
    opts: CronRunnerOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? ((line) => console.log(line));
    this.jobs = buildJobs(readCrons(crons), new Map());
  }

  /**
   * Checks a `crons.ts` default export without running anything: throws CronScheduleError naming
   * the cron for a bad schedule or expression (use it before swapping in a reloaded app).
   */
  static validate(crons: any): void {
    buildJobs(readCrons(crons), new Map());
  }

  private firstRun(job: Job, now: number): number {
    return nextRunAfter(job.schedule, now, { defaultMinute: job.defaultMinute });
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.stopped = false;
    const now = this.now();
    for (const job of this.jobs.values()) {
      job.nextAt = this.firstRun(job, now);
      if (!this.runner.resolve(job.path, true)) {
        this.log(`[local-backend] cron "${job.identifier}": function ${job.path} does not exist; its runs will fail.`);
      }
    }
    this.arm();
  }

  /**
   * Replaces the job list after a reload (the new `crons.ts` default export). Unchanged jobs keep
   * their next run; new or changed ones are scheduled from now; removed ones stop (a run already
   * going finishes).
   */
  update(crons: any): void {
    const next = buildJobs(readCrons(crons), this.jobs);
    const now = this.now();
    for (const job of next.values()) if (job.nextAt === Infinity && this.started) job.nextAt = this.firstRun(job, now);
    this.jobs = next;
    this.arm();
  }

  /** Every job and when it runs next, soonest first. */
  nextRuns(): Array<{ name: string; at: number }> {
    return [...this.jobs.values()]
      .filter((j) => j.nextAt !== Infinity)
      .map((j) => ({ name: j.identifier, at: j.nextAt }))
      .sort((a, b) => a.at - b.at);
  }

  private arm() {
    if (this.timer) realTimers.clearTimeout(this.timer);
    this.timer = null;
    if (!this.started || this.stopped) return;
    let next = Infinity;
    for (const j of this.jobs.values()) if (!this.running.has(j.identifier) && j.nextAt < next) next = j.nextAt;
    if (next === Infinity) return;
    const delay = Math.max(0, Math.min(next - this.now(), 2 ** 31 - 1));
    this.timer = realTimers.setTimeout(() => this.runDue(), delay);
    this.timer.unref?.();
  }

  private runDue() {
    this.timer = null;
    if (this.stopped) return;
    const now = this.now();
    for (const job of this.jobs.values()) {
      if (this.running.has(job.identifier) || job.nextAt > now) continue;
      this.running.add(job.identifier);
      const p = this.runJob(job).finally(() => {
        this.running.delete(job.identifier);
        this.inFlight.delete(p);
        this.arm();
      });
      this.inFlight.add(p);
    }
    this.arm();
  }

  private async runJob(job: Job): Promise<void> {
    const scheduledAt = job.nextAt;
    const started = this.now();
    let status: string;
    try {
      const f = this.runner.resolve(job.path, true);
      if (!f) status = `error: Could not find function for '${job.path}'.`;
      else if (f.kind !== "mutation" && f.kind !== "action") {
        status = `error: ${f.path} is a ${f.kind}; crons can only run mutations and actions.`;
      } else {
        const t0 = Date.now();
        const outcome = this.runner.observed(
          f.kind,
          f.path,
          t0,
          f.kind === "mutation"
            ? await this.runner.executeMutation(f, job.args, { allowInternal: true })
            : await this.runner.executeAction(f, job.args, { allowInternal: true }),
        );
        status = outcome.ok ? "ok" : `error: ${outcome.message.split("\n")[0]}`;
      }
    } catch (e) {
      status = `error: ${(e as Error).message}`;
    }
    const finished = this.now();
    // The next run after the one that just happened; runs that fell due meanwhile are skipped.
    let nextAt = nextRunAfter(job.schedule, scheduledAt, { defaultMinute: job.defaultMinute });
    let skipped = 0;
    if (nextAt <= finished) {
      if (job.schedule.type === "interval") {
        const every = intervalMs(job.schedule);
        skipped = Math.floor((finished - nextAt) / every) + 1;
        nextAt += skipped * every;
      } else {
        while (nextAt <= finished && skipped < 10_000) {
          nextAt = nextRunAfter(job.schedule, nextAt, { defaultMinute: job.defaultMinute });
          skipped++;
        }
      }
    }
    // A job removed or changed by update() while running keeps its new schedule.
    if (this.jobs.get(job.identifier) === job) job.nextAt = nextAt;
    const note = skipped ? ` (skipped ${skipped} run${skipped === 1 ? "" : "s"} while it was still running)` : "";
    this.log(`[local-backend] cron "${job.identifier}" ${job.path} ${finished - started}ms ${status}${note}`);
  }

  /** Stops scheduling; resolves once runs already going have finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) realTimers.clearTimeout(this.timer);
    this.timer = null;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Waits until no run is in progress (tests). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}
