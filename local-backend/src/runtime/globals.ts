import { als, formatLogLine, pushLogLine, type ExecContext } from "./context.js";

/**
 * Process-wide hooks, installed once. Each one consults the current execution context, so code
 * outside Convex functions (the HTTP server, tests, Remix in the same process) is unaffected:
 * - `globalThis.Convex`: the syscall seam the `convex` package calls into;
 * - `Date` and `Math.random`: frozen and seeded inside queries and mutations;
 * - `fetch` and timers: refused inside queries and mutations, as in Convex;
 * - `console`: captured as Convex log lines;
 * - `globalThis.__convexLocalEnv`: what bundled functions see as `process.env`.
 */
let installed = false;

/** The host's own timers, for runtime code (the scheduler) that must never be refused. */
export const realTimers = { setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout };

function requireContext(): ExecContext {
  const ctx = als.getStore();
  if (!ctx) {
    throw new Error(
      "The Convex database and auth objects are being used outside of a Convex backend. " +
        "Did you mean to use `useQuery` or `useMutation` to call a Convex function?",
    );
  }
  return ctx;
}

function inTransaction(): ExecContext | undefined {
  const ctx = als.getStore();
  return ctx && (ctx.kind === "query" || ctx.kind === "mutation") ? ctx : undefined;
}

/** The frozen time of the current query or mutation, noted as observed (a cached result ages, queryCache.ts). */
function frozenTime(): number | null {
  const ctx = inTransaction();
  if (!ctx || ctx.frozenNow === null) return null;
  if (ctx.observed) ctx.observed.time = true;
  return ctx.frozenNow;
}

/** The function environment as the current invocation sees it; noting that the invocation read it. */
function envForRead(): Record<string, string> {
  const ctx = als.getStore();
  if (!ctx) return loadTimeEnv();
  if (ctx.observed) ctx.observed.env = true;
  // A component sees the system variables and what its parent passes it (components.ts).
  if (ctx.componentPath && ctx.host.componentEnv) return ctx.host.componentEnv(ctx.componentPath);
  return ctx.host.functionEnv();
}

/** Environment used for module top-level code (evaluated at load time, outside any invocation). */
let loadTimeEnv: () => Record<string, string> = () => ({});

export function setLoadTimeEnv(env: () => Record<string, string>) {
  loadTimeEnv = env;
}

/**
 * A worker started from source (`eval: true`) runs it as `node -e` runs a script: `require`,
 * `module`, `exports`, `__filename` and `__dirname` become globals, which user modules would then
 * see. Convex's Node runtime loads them as ES modules without any of these (a CommonJS package that
 * requires a built-in needs `node.externalPackages`), so workers drop them before loading any.
 */
export function dropEvalGlobals(): void {
  for (const name of ["require", "module", "exports", "__filename", "__dirname"]) delete (globalThis as Record<string, unknown>)[name];
}

/** The environment module top-level code would see now (isolate/analyzeNode.ts hands it to its worker). */
export function currentLoadTimeEnv(): Record<string, string> {
  return loadTimeEnv();
}

/**
 * `globalThis.Convex` as the `convex` package expects it. Inside one of our invocations it answers
 * with our syscalls; outside, it defers to whatever hook was installed before it (convex-test
 * installs its own once, so both can run in one test process).
 */
let previousConvex: any = undefined;
const NO_BACKEND = () => {
  throw new Error(
    "The Convex database and auth objects are being used outside of a Convex backend. " +
      "Did you mean to use `useQuery` or `useMutation` to call a Convex function?",
  );
};
const convexDispatcher = {
  get syscall() {
    const ctx = als.getStore();
    if (!ctx) return previousConvex?.syscall ?? NO_BACKEND;
    return (op: string, json: string) => ctx.host.syscall(ctx, op, JSON.parse(json));
  },
  get asyncSyscall() {
    const ctx = als.getStore();
    if (!ctx) return previousConvex?.asyncSyscall ?? NO_BACKEND;
    return async (op: string, json: string) => ctx.host.asyncSyscall(ctx, op, JSON.parse(json));
  },
  get jsSyscall() {
    const ctx = als.getStore();
    if (!ctx) return previousConvex?.jsSyscall ?? NO_BACKEND;
    return (op: string, args: Record<string, unknown>) => ctx.host.jsSyscall(ctx, op, args);
  },
};

/** (Re)installs our `Convex` hook if something replaced it, keeping the replacement as fallback. */
export function ensureConvexGlobal(): void {
  const g = globalThis as any;
  if (g.Convex === convexDispatcher) return;
  previousConvex = g.Convex;
  g.Convex = convexDispatcher;
}

export function installGlobals(): void {
  if (installed) return;
  installed = true;
  const g = globalThis as any;

  ensureConvexGlobal();

  const RealDate = Date;
  g.Date = new Proxy(RealDate, {
    construct(target, args, newTarget) {
      const now = args.length === 0 ? frozenTime() : null;
      if (now !== null) return Reflect.construct(target, [now], newTarget);
      return Reflect.construct(target, args, newTarget);
    },
    apply(target, thisArg, args) {
      const now = frozenTime();
      if (now !== null) return new RealDate(now).toString();
      return Reflect.apply(target, thisArg, args);
    },
    get(target, prop, receiver) {
      if (prop === "now") {
        return () => frozenTime() ?? RealDate.now();
      }
      return Reflect.get(target, prop, receiver);
    },
  });

  const realRandom = Math.random;
  Math.random = () => {
    const ctx = inTransaction();
    return ctx?.random ? ctx.random() : realRandom();
  };

  const refuse = (name: string, real: (...a: any[]) => any) =>
    function (this: unknown, ...args: any[]) {
      const ctx = inTransaction();
      if (ctx) {
        throw new Error(`Can't use ${name} in queries and mutations. Please consider using an action.`);
      }
      return real.apply(this, args);
    };
  if (typeof g.fetch === "function") g.fetch = refuse("fetch()", g.fetch);
  g.setTimeout = Object.assign(refuse("setTimeout", g.setTimeout), g.setTimeout);
  g.setInterval = Object.assign(refuse("setInterval", g.setInterval), g.setInterval);

  const levels: Array<[keyof Console, string]> = [
    ["log", "LOG"],
    ["info", "INFO"],
    ["warn", "WARN"],
    ["error", "ERROR"],
    ["debug", "DEBUG"],
  ];
  for (const [method, level] of levels) {
    const real = (console[method] as (...a: unknown[]) => void).bind(console);
    (console as any)[method] = (...args: unknown[]) => {
      const ctx = als.getStore();
      if (!ctx) return real(...args);
      const line = formatLogLine(level, args);
      if (ctx.host.log) ctx.host.log(ctx, line);
      else pushLogLine(ctx, line);
    };
  }

  g.__convexLocalProcess = {
    get env() {
      return g.__convexLocalEnv;
    },
  };
  g.__convexLocalEnv = new Proxy(
    {},
    {
      get(_t, prop) {
        if (typeof prop !== "string") return undefined;
        return envForRead()[prop];
      },
      has(_t, prop) {
        return typeof prop === "string" && prop in envForRead();
      },
      ownKeys() {
        return Object.keys(envForRead());
      },
      getOwnPropertyDescriptor(_t, prop) {
        const env = envForRead();
        if (typeof prop !== "string" || !(prop in env)) return undefined;
        return { value: env[prop], enumerable: true, configurable: true, writable: false };
      },
    },
  );
}
