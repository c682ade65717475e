// Cron jobs: next-run computation for every Convex schedule kind and for cron expressions (UTC),
// and a CronRunner really running functions on a real backend.
// Reference: ../shared/reference/convex-backend-facts.md §3.17; expected values in the
// "Convex's own tests" block are those of get-convex/convex-backend
// crates/model/src/cron_jobs/next_ts.rs.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { LocalBackend } from "../src/backend.js";
import {
  CronRunner,
  CronScheduleError,
  nextRunAfter,
  parseCron,
  stableMinute,
  type CronSchedule,
} from "../src/runtime/crons.js";

const FIXTURE = "local-backend/test/fixtures-storage/crons/convex";
const TMP_ROOT = tmpdir();

const T = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();
const next = (schedule: CronSchedule, from: string, opts?: { defaultMinute?: number }) => iso(nextRunAfter(schedule, T(from), opts));
const cron = (expr: string, from: string) => next({ type: "cron", cron: expr }, from);

describe("nextRunAfter: Convex's own tests", () => {
  // Mar 01 2023 08:35:00 UTC = 1677659700 s, etc.
  test("hourly", () => {
    expect(nextRunAfter({ type: "hourly", minuteUTC: 5 }, 1677659700_000)).toBe(1677661500_000);
    expect(nextRunAfter({ type: "hourly", minuteUTC: 5 }, 1677661500_000)).toBe(1677665100_000);
  });
  test("daily", () => {
    const s: CronSchedule = { type: "daily", hourUTC: 8, minuteUTC: 30 };
    expect(nextRunAfter(s, 1677573300_000)).toBe(1677659400_000);
    expect(nextRunAfter(s, 1677659400_000)).toBe(1677745800_000);
  });
  test("weekly", () => {
    const s: CronSchedule = { type: "weekly", dayOfWeek: "tuesday", hourUTC: 12, minuteUTC: 30 };
    expect(nextRunAfter(s, 1677573300_000)).toBe(1677587400_000);
    expect(nextRunAfter(s, 1677587400_000)).toBe(1678192200_000);
  });
  test("monthly", () => {
    const s: CronSchedule = { type: "monthly", day: 1, hourUTC: 12, minuteUTC: 30 };
    expect(nextRunAfter(s, 1677573300_000)).toBe(1677673800_000);
    expect(nextRunAfter(s, 1677673800_000)).toBe(1680352200_000);
  });
  test("cron", () => {
    const s: CronSchedule = { type: "cron", cron: "0 12 * * 1,5" };
    expect(nextRunAfter(s, 1677573300_000)).toBe(1677844800_000);
    expect(nextRunAfter(s, 1677844800_000)).toBe(1678104000_000);
    expect(() => nextRunAfter({ type: "cron", cron: "0 12 * * 7" }, 0)).toThrow(CronScheduleError);
  });
});

describe("nextRunAfter: schedule kinds", () => {
  test("interval: seconds, minutes, hours after the given time", () => {
    const from = T("2024-05-05T10:00:00.250Z");
    expect(nextRunAfter({ type: "interval", seconds: 30 }, from)).toBe(from + 30_000);
    expect(nextRunAfter({ type: "interval", minutes: 5 }, from)).toBe(from + 300_000);
    expect(nextRunAfter({ type: "interval", hours: 2 }, from)).toBe(from + 7_200_000);
    expect(() => nextRunAfter({ type: "interval" }, from)).toThrow(/exactly one/);
    expect(() => nextRunAfter({ type: "interval", seconds: 0 }, from)).toThrow(/greater than 0/);
    expect(() => nextRunAfter({ type: "interval", seconds: 1, minutes: 1 }, from)).toThrow(/exactly one/);
  });

  test("hourly: strictly after, wrapping the hour and the day", () => {
    expect(next({ type: "hourly", minuteUTC: 5 }, "2023-03-01T08:04:59.999Z")).toBe("2023-03-01T08:05:00.000Z");
    expect(next({ type: "hourly", minuteUTC: 5 }, "2023-03-01T08:05:00.000Z")).toBe("2023-03-01T09:05:00.000Z");
    expect(next({ type: "hourly", minuteUTC: 0 }, "2023-12-31T23:30:00Z")).toBe("2024-01-01T00:00:00.000Z");
  });

  test("omitted minuteUTC uses the given default minute", () => {
    expect(next({ type: "hourly" }, "2023-03-01T08:00:00Z", { defaultMinute: 17 })).toBe("2023-03-01T08:17:00.000Z");
    expect(next({ type: "daily", hourUTC: 6 }, "2023-03-01T08:00:00Z", { defaultMinute: 42 })).toBe("2023-03-02T06:42:00.000Z");
    expect(stableMinute("spread")).toBe(stableMinute("spread"));
    expect(stableMinute("spread")).toBeGreaterThanOrEqual(0);
    expect(stableMinute("spread")).toBeLessThan(60);
  });

  test("daily: month, leap-day and year boundaries", () => {
    const s: CronSchedule = { type: "daily", hourUTC: 8, minuteUTC: 30 };
    expect(next(s, "2023-02-28T09:00:00Z")).toBe("2023-03-01T08:30:00.000Z");
    expect(next(s, "2024-02-28T09:00:00Z")).toBe("2024-02-29T08:30:00.000Z");
    expect(next(s, "2023-12-31T23:59:00Z")).toBe("2024-01-01T08:30:00.000Z");
    expect(next(s, "2023-06-15T08:29:59Z")).toBe("2023-06-15T08:30:00.000Z");
  });

  test("weekly: every day name, Sunday wrapping the week and the year", () => {
    // 2023-12-30 is a Saturday.
    expect(next({ type: "weekly", dayOfWeek: "sunday", hourUTC: 0, minuteUTC: 0 }, "2023-12-30T12:00:00Z")).toBe("2023-12-31T00:00:00.000Z");
    expect(next({ type: "weekly", dayOfWeek: "saturday", hourUTC: 0, minuteUTC: 0 }, "2023-12-30T12:00:00Z")).toBe("2024-01-06T00:00:00.000Z");
    expect(next({ type: "weekly", dayOfWeek: "monday", hourUTC: 9, minuteUTC: 0 }, "2023-12-30T12:00:00Z")).toBe("2024-01-01T09:00:00.000Z");
    const days = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"] as const;
    days.forEach((d, i) => {
      const at = new Date(nextRunAfter({ type: "weekly", dayOfWeek: d, hourUTC: 1, minuteUTC: 2 }, T("2024-01-01T00:00:00Z")));
      expect(at.getUTCDay()).toBe(i);
    });
    expect(() => nextRunAfter({ type: "weekly", dayOfWeek: "funday" as never, hourUTC: 1 }, 0)).toThrow(/dayOfWeek/);
  });

  test("monthly: months without the day are skipped, as in Convex (cron semantics)", () => {
    const d31: CronSchedule = { type: "monthly", day: 31, hourUTC: 12, minuteUTC: 0 };
    expect(next(d31, "2023-01-31T13:00:00Z")).toBe("2023-03-31T12:00:00.000Z"); // no Feb 31
    expect(next(d31, "2023-03-31T13:00:00Z")).toBe("2023-05-31T12:00:00.000Z"); // no Apr 31
    expect(next(d31, "2023-07-31T13:00:00Z")).toBe("2023-08-31T12:00:00.000Z");
    expect(next(d31, "2023-12-31T13:00:00Z")).toBe("2024-01-31T12:00:00.000Z");
    const d29: CronSchedule = { type: "monthly", day: 29, hourUTC: 0, minuteUTC: 0 };
    expect(next(d29, "2023-01-30T00:00:00Z")).toBe("2023-03-29T00:00:00.000Z"); // 2023 is not a leap year
    expect(next(d29, "2024-01-30T00:00:00Z")).toBe("2024-02-29T00:00:00.000Z");
    const d30: CronSchedule = { type: "monthly", day: 30, hourUTC: 6, minuteUTC: 45 };
    expect(next(d30, "2024-01-30T07:00:00Z")).toBe("2024-03-30T06:45:00.000Z");
    expect(() => nextRunAfter({ type: "monthly", day: 32, hourUTC: 0 }, 0)).toThrow(/day/);
    expect(() => nextRunAfter({ type: "daily", hourUTC: 24 }, 0)).toThrow(/hourUTC/);
    expect(() => nextRunAfter({ type: "hourly", minuteUTC: 60 }, 0)).toThrow(/minuteUTC/);
  });
});

describe("nextRunAfter: cron expressions", () => {
  test("*/15 9-17 * * 1-5 (every quarter hour, office hours, weekdays)", () => {
    const e = "*/15 9-17 * * 1-5";
    // 2023-03-01 is a Wednesday, 2023-03-03 a Friday.
    expect(cron(e, "2023-03-01T12:07:00Z")).toBe("2023-03-01T12:15:00.000Z");
    expect(cron(e, "2023-03-01T12:15:00Z")).toBe("2023-03-01T12:30:00.000Z");
    expect(cron(e, "2023-03-01T12:45:00Z")).toBe("2023-03-01T13:00:00.000Z");
    expect(cron(e, "2023-03-01T17:45:00Z")).toBe("2023-03-02T09:00:00.000Z");
    expect(cron(e, "2023-03-01T03:00:00Z")).toBe("2023-03-01T09:00:00.000Z");
    expect(cron(e, "2023-03-03T17:50:00Z")).toBe("2023-03-06T09:00:00.000Z"); // over the weekend
    expect(cron(e, "2023-03-31T17:46:00Z")).toBe("2023-04-03T09:00:00.000Z"); // and the month
  });

  test("lists, ranges, steps, names, wrap-around ranges", () => {
    expect(cron("5,10,50 * * * *", "2023-03-01T08:11:00Z")).toBe("2023-03-01T08:50:00.000Z");
    expect(cron("10-20/5 * * * *", "2023-03-01T08:16:00Z")).toBe("2023-03-01T08:20:00.000Z");
    expect(cron("10-20/5 * * * *", "2023-03-01T08:20:00Z")).toBe("2023-03-01T09:10:00.000Z");
    expect(cron("30/10 * * * *", "2023-03-01T08:55:00Z")).toBe("2023-03-01T09:30:00.000Z");
    expect(cron("0 0 1 */3 *", "2023-02-15T00:00:00Z")).toBe("2023-04-01T00:00:00.000Z");
    expect(cron("30 6 * jan-mar MON", "2023-03-28T00:00:00Z")).toBe("2024-01-01T06:30:00.000Z");
    expect(cron("0 0 * * FRI-MON", "2023-03-01T00:00:00Z")).toBe("2023-03-03T00:00:00.000Z"); // Wed → Fri
    expect(cron("0 0 * * FRI-MON", "2023-03-05T00:00:00Z")).toBe("2023-03-06T00:00:00.000Z"); // Sun → Mon
    expect(cron("0 0 * * FRI-MON", "2023-03-06T00:00:00Z")).toBe("2023-03-10T00:00:00.000Z"); // Mon → Fri
    expect(cron("50-10/10 * * * *", "2023-03-01T08:51:00Z")).toBe("2023-03-01T09:00:00.000Z");
    expect(cron("* * * * *", "2023-03-01T08:51:30.500Z")).toBe("2023-03-01T08:52:00.000Z");
  });

  test("day of month and day of week both restricted: either matches (Vixie/saffron)", () => {
    // Fridays and the 13th: from 2023-01-01 the first is Friday Jan 6.
    expect(cron("0 0 13 * 5", "2023-01-01T00:00:00Z")).toBe("2023-01-06T00:00:00.000Z");
    expect(cron("0 0 13 * 5", "2023-01-10T00:00:00Z")).toBe("2023-01-13T00:00:00.000Z");
    // */2 in the day-of-month is a restriction too.
    expect(cron("0 0 */10 * 0", "2023-03-02T00:00:00Z")).toBe("2023-03-05T00:00:00.000Z"); // Sunday before the 11th
  });

  test("leap days and impossible dates", () => {
    expect(cron("0 0 29 2 *", "2023-01-01T00:00:00Z")).toBe("2024-02-29T00:00:00.000Z");
    expect(cron("0 0 29 2 *", "2024-03-01T00:00:00Z")).toBe("2028-02-29T00:00:00.000Z");
    expect(() => cron("0 0 30 2 *", "2023-01-01T00:00:00Z")).toThrow(/never matches/);
  });

  test("last day, last weekday of the month, nth weekday", () => {
    expect(cron("0 0 L * *", "2023-02-10T00:00:00Z")).toBe("2023-02-28T00:00:00.000Z");
    expect(cron("0 0 L-1 * *", "2023-02-10T00:00:00Z")).toBe("2023-02-27T00:00:00.000Z");
    expect(cron("0 0 * * 5L", "2023-03-01T00:00:00Z")).toBe("2023-03-31T00:00:00.000Z"); // last Friday
    expect(cron("0 0 * * 1#2", "2023-03-01T00:00:00Z")).toBe("2023-03-13T00:00:00.000Z"); // second Monday
  });

  test("invalid expressions are refused with the offending part", () => {
    expect(() => parseCron("* * * *")).toThrow(/expected 5 fields/);
    expect(() => parseCron("61 * * * *")).toThrow(/minute "61" is out of range 0-59/);
    expect(() => parseCron("* 24 * * *")).toThrow(/hour/);
    expect(() => parseCron("* * 0 * *")).toThrow(/day of month/);
    expect(() => parseCron("* * * 13 *")).toThrow(/month/);
    expect(() => parseCron("* * * * 7")).toThrow(/Sunday is 0/);
    expect(() => parseCron("*/0 * * * *")).toThrow(/step/);
    expect(() => parseCron("1-2-3 * * * *")).toThrow(/range/);
    expect(() => parseCron("* * ? * *")).toThrow(/'\?'/);
    expect(() => parseCron("* * 15W * *")).toThrow(/'W'/);
    expect(() => parseCron("x * * * *")).toThrow(/not a number/);
  });

  test("agrees with a minute-by-minute scan on random start times", () => {
    const exprs = ["*/15 9-17 * * 1-5", "0 0 13 * 5", "7 */3 1-10 2,8 *", "0 12 * * 1,5", "59 23 31 * *"];
    const fieldOk = (set: boolean[], v: number) => set[v] === true;
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (const e of exprs) {
      const c = parseCron(e);
      const matches = (ms: number) => {
        const d = new Date(ms);
        if (!fieldOk(c.minutes, d.getUTCMinutes()) || !fieldOk(c.hours, d.getUTCHours()) || !fieldOk(c.months, d.getUTCMonth() + 1)) return false;
        const dom = c.dom.kind === "set" ? c.dom.days[d.getUTCDate()] === true : true;
        const dow = c.dow.kind === "set" ? c.dow.days[d.getUTCDay()] === true : true;
        const domStar = c.dom.kind === "star";
        const dowStar = c.dow.kind === "star";
        return domStar || dowStar ? dom && dow : dom || dow;
      };
      for (let i = 0; i < 20; i++) {
        const from = T("2023-01-01T00:00:00Z") + Math.floor(rand() * 2 * 365 * 86_400_000);
        let t = Math.floor(from / 60_000) * 60_000 + 60_000;
        while (!matches(t)) t += 60_000;
        expect(iso(nextRunAfter({ type: "cron", cron: e }, from))).toBe(iso(t));
      }
    }
  });
});

describe("CronRunner", () => {
  const dirs: string[] = [];
  const backends: LocalBackend[] = [];
  const runners: CronRunner[] = [];

  async function start() {
    const dataDir = mkdtempSync(path.join(TMP_ROOT, "crons-"));
    dirs.push(dataDir);
    const b = await LocalBackend.start({ dataDir, convexDir: FIXTURE, scheduler: false, crons: false });
    backends.push(b);
    return b;
  }

  afterAll(async () => {
    for (const r of runners) await r.stop();
    for (const b of backends) await b.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function counter(b: LocalBackend): Promise<number> {
    const r = await b.runner.runQuery("counter:get", {});
    if (!r.ok) throw new Error(r.message);
    return JSON.parse(r.valueJson);
  }

  async function poll(cond: () => Promise<boolean>, ms: number) {
    const end = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error(`condition not met within ${ms}ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  test("loads convex/crons.ts and lists the next runs", async () => {
    const b = await start();
    expect(b.runner.app.crons?.isCrons).toBe(true);
    const now = T("2024-06-01T10:20:30Z");
    const r = new CronRunner(b.runner, b.runner.app.crons, { now: () => now, log: () => {} });
    runners.push(r);
    r.start();
    const runs = Object.fromEntries(r.nextRuns().map((x) => [x.name, x.at]));
    expect(runs.tick).toBe(now + 1000); // intervals run first one interval after start
    expect(iso(runs.nightly)).toBe("2024-06-02T03:15:00.000Z");
    const m = stableMinute("spread");
    const spread = new Date(runs.spread);
    expect(spread.getUTCMinutes()).toBe(m);
    expect(runs.spread).toBeGreaterThan(now);
    expect(runs.spread - now).toBeLessThanOrEqual(3600_000);
    expect(r.nextRuns().map((x) => x.at)).toEqual([...r.nextRuns().map((x) => x.at)].sort((a, b) => a - b));
    await r.stop();
  });

  test("an interval of 1 second really runs the mutation, and stop() stops it", async () => {
    const b = await start();
    const lines: string[] = [];
    const r = new CronRunner(b.runner, b.runner.app.crons, { log: (l) => lines.push(l) });
    runners.push(r);
    r.start();
    expect(await counter(b)).toBe(0);
    await poll(async () => (await counter(b)) >= 2, 8000);
    await r.stop();
    const after = await counter(b);
    await new Promise((res) => setTimeout(res, 2200));
    expect(await counter(b)).toBe(after);
    expect(lines.some((l) => /cron "tick" counter:bump \d+ms ok/.test(l))).toBe(true);
    expect(r.nextRuns().length).toBe(3);
  });

  test("a job never overlaps itself; runs that fall due meanwhile are skipped and logged", async () => {
    const b = await start();
    const lines: string[] = [];
    const crons = {
      isCrons: true,
      crons: { slow: { name: "counter:slow", args: [{ ms: 2300 }], schedule: { type: "interval", seconds: 1 } } },
    };
    const r = new CronRunner(b.runner, crons, { log: (l) => lines.push(l) });
    runners.push(r);
    r.start();
    await poll(async () => lines.length >= 2, 12_000);
    await r.stop();
    const ev = await b.runner.runQuery("counter:events", {});
    const events: string[] = JSON.parse((ev as { valueJson: string }).valueJson);
    // Strictly alternating start/end: never two starts in a row.
    events.forEach((e, i) => expect(e).toBe(i % 2 === 0 ? "start" : "end"));
    expect(events.length).toBeGreaterThanOrEqual(4);
    expect(lines[0]).toMatch(/cron "slow" counter:slow \d+ms ok \(skipped 2 runs while it was still running\)/);
  });

  test("failures are logged, one line per run, and the job keeps its schedule", async () => {
    const b = await start();
    const lines: string[] = [];
    const crons = {
      isCrons: true,
      crons: {
        missing: { name: "nope:fn", args: [{}], schedule: { type: "interval", seconds: 1 } },
        wrongKind: { name: "counter:get", args: [{}], schedule: { type: "interval", seconds: 1 } },
        badArgs: { name: "counter:bump", args: [{ by: "x" }], schedule: { type: "interval", seconds: 1 } },
      },
    };
    const r = new CronRunner(b.runner, crons, { log: (l) => lines.push(l) });
    runners.push(r);
    r.start();
    expect(lines[0]).toMatch(/"missing": function nope:fn does not exist/);
    await poll(async () => lines.filter((l) => l.includes(" error: ")).length >= 6, 8000);
    await r.stop();
    expect(lines.some((l) => /cron "missing" nope:fn \d+ms error: Could not find function for 'nope:fn'/.test(l))).toBe(true);
    expect(lines.some((l) => /cron "wrongKind" counter:get \d+ms error: counter:get is a query/.test(l))).toBe(true);
    expect(lines.some((l) => /cron "badArgs" counter:bump \d+ms error: ArgumentValidationError/.test(l))).toBe(true);
    expect(await counter(b)).toBe(0);
  });

  test("invalid schedules fail at construction, naming the cron", async () => {
    const b = await start();
    const bad = (schedule: unknown) => () =>
      new CronRunner(b.runner, { isCrons: true, crons: { nightly: { name: "counter:bump", args: [{ by: 1 }], schedule } } });
    expect(bad({ type: "cron", cron: "0 25 * * *" })).toThrow(/Cron "nightly": Invalid cron expression "0 25 \* \* \*"/);
    expect(bad({ type: "monthly", day: 0, hourUTC: 1 })).toThrow(/Cron "nightly": day/);
    expect(() => new CronRunner(b.runner, { crons: {} })).toThrow(/cronJobs\(\)/);
    expect(() => CronRunner.validate({ isCrons: true, crons: { x: { name: "a:b", args: [{}], schedule: { type: "cron", cron: "* * * * 7" } } } })).toThrow(
      /Cron "x": .*Sunday is 0/,
    );
    expect(() => CronRunner.validate(b.runner.app.crons)).not.toThrow();
    expect(new CronRunner(b.runner, null).nextRuns()).toEqual([]);
  });

  test("a job changed by update() while it runs waits for that run, then runs on its new spec", async () => {
    const b = await start();
    const lines: string[] = [];
    const slow = (ms: number) => ({ isCrons: true, crons: { slow: { name: "counter:slow", args: [{ ms }], schedule: { type: "interval", seconds: 1 } } } });
    const r = new CronRunner(b.runner, slow(1800), { log: (l) => lines.push(l) });
    runners.push(r);
    r.start();
    const events = async () => JSON.parse(((await b.runner.runQuery("counter:events", {})) as { valueJson: string }).valueJson) as string[];
    await poll(async () => (await events()).length >= 1, 5000);
    r.update(slow(10));
    await poll(async () => lines.length >= 2, 8000);
    await r.stop();
    const ev = await events();
    ev.forEach((e, i) => expect(e).toBe(i % 2 === 0 ? "start" : "end"));
    expect(lines[1]).toMatch(/cron "slow" counter:slow \d+ms ok/);
    expect(Number(/(\d+)ms/.exec(lines[1])![1])).toBeLessThan(1500);
  });

  test("update() keeps unchanged jobs' next runs and schedules new ones", async () => {
    const b = await start();
    let now = T("2024-06-01T10:20:30Z");
    const spec = (hourUTC: number) => ({ name: "counter:bump", args: [{ by: 1 }], schedule: { type: "daily", hourUTC, minuteUTC: 0 } });
    const r = new CronRunner(b.runner, { isCrons: true, crons: { a: spec(5), b: spec(6) } }, { now: () => now, log: () => {} });
    r.start();
    now += 60_000;
    r.update({ isCrons: true, crons: { a: spec(5), c: spec(7) } });
    const runs = Object.fromEntries(r.nextRuns().map((x) => [x.name, iso(x.at)]));
    expect(runs).toEqual({ a: "2024-06-02T05:00:00.000Z", c: "2024-06-02T07:00:00.000Z" });
    await r.stop();
  });
});

describe("crons wired into the backend", () => {
  test("LocalBackend runs convex/crons.ts by itself, and crons: false turns it off", async () => {
    const on = mkdtempSync(path.join(tmpdir(), "crons-on-"));
    const off = mkdtempSync(path.join(tmpdir(), "crons-off-"));
    const running = await LocalBackend.start({ dataDir: on, convexDir: FIXTURE, scheduler: false });
    const disabled = await LocalBackend.start({ dataDir: off, convexDir: FIXTURE, scheduler: false, crons: false });
    try {
      const count = async (b: LocalBackend) => {
        const out = await b.runner.runQuery("counter:get", {});
        return out.ok ? (JSON.parse(out.valueJson) as number) : -1;
      };
      let n = 0;
      for (let i = 0; i < 60 && n < 1; i++) {
        await new Promise((r) => setTimeout(r, 100));
        n = await count(running);
      }
      expect(n).toBeGreaterThanOrEqual(1);
      expect(await count(disabled)).toBe(0);
    } finally {
      await running.close();
      await disabled.close();
      rmSync(on, { recursive: true, force: true });
      rmSync(off, { recursive: true, force: true });
    }
  });
});
