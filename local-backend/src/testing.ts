import { getFunctionName, type GenericSchema, type SchemaDefinition } from "convex/server";
import { ConvexError, convexToJson, jsonToConvex, type Value } from "convex/values";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { LocalBackend } from "./backend.js";
import type { RegisteredComponent } from "./runtime/components.js";
import type { UserIdentity } from "./runtime/context.js";
import { inlineFunction, type CallOptions, type FunctionOutcome } from "./runtime/runner.js";
import { LIMITS } from "./values/limits.js";

/**
 * A test harness with convex-test's interface, backed by a real in-process local backend on a
 * temporary data dir. Swap `import { convexTest } from "convex-test"` for this module and the
 * same test runs against the local backend's storage, indexes, validation and limits.
 */
export interface TestConvex {
  /** A query by reference, or an inline handler run as a query (read-only `ctx`), as in convex-test. */
  query<R = any>(ref: any, args?: Record<string, Value>): Promise<R>;
  /** A mutation by reference, or an inline handler run as a mutation in its own transaction. */
  mutation<R = any>(ref: any, args?: Record<string, Value>): Promise<R>;
  /** An action by reference, or an inline handler run as an action (`ctx.runQuery`, …). */
  action<R = any>(ref: any, args?: Record<string, Value>): Promise<R>;
  /** Runs a handler inside a mutation transaction with a real `ctx`. */
  run<R = any>(handler: (ctx: any) => Promise<R>): Promise<R>;
  withIdentity(identity: Partial<UserIdentity>): TestConvex;
  /** Calls an HTTP action of `convex/http.ts` (path with optional query string), as the current identity. */
  fetch(pathQueryFragment: string, init?: RequestInit): Promise<Response>;
  /** Waits for scheduled functions that are running right now. */
  finishInProgressScheduledFunctions(): Promise<void>;
  /**
   * Runs every scheduled function, including ones scheduled along the way, until none is left.
   * `advanceTimers` (for example `vi.runAllTimers`) is called before each, as convex-test does.
   */
  finishAllScheduledFunctions(advanceTimers?: () => void, maxIterations?: number): Promise<void>;
  /**
   * Installs a component at `name` (a component path: `"rateLimiter"`, `"rateLimiter/batchWorker"`
   * for one it uses), as convex-test's `registerComponent`. Call it before the first call.
   */
  registerComponent(name: string, schema: SchemaDefinition<GenericSchema, boolean> | undefined, modules: Record<string, () => Promise<any>>): void;
  /** The running backend, for tests that need to look underneath. */
  backend(): Promise<LocalBackend>;
  /** Stops the backend and removes its data dir. Also happens at process exit. */
  close(): Promise<void>;
}

const open = new Set<{ dataDir: string; close(): Promise<void> }>();
let exitHook = false;

function outcomeValue(outcome: FunctionOutcome): any {
  if (outcome.ok) return jsonToConvex(JSON.parse(outcome.valueJson));
  const message = outcome.message.replace(/^Uncaught (ConvexError|Error): /, "");
  if (outcome.data !== undefined) {
    const err = new ConvexError(message);
    err.data = jsonToConvex(outcome.data) as any;
    throw err;
  }
  throw new Error(message);
}

function pathOf(ref: any): string {
  return typeof ref === "string" ? ref : getFunctionName(ref);
}

/** An app's `defineSchema(...)` (its `export()` is internal to the convex package's types). */
type SchemaLike = SchemaDefinition<any, boolean> | { export(): string };

/** Schema, modules and limits, convex-test's newer `convexTest({ ... })` form. */
export interface ConvexTestOptions {
  schema?: SchemaLike;
  modules?: Record<string, () => Promise<any>> | string;
  /**
   * convex-test's per-transaction limits switch. The local backend enforces Convex's own limits
   * whatever this says, as a deployment does: `false` (convex-test's default, "not enforced"),
   * `true` and `{}` all mean Convex's limits. Values other than Convex's are refused, since this
   * backend cannot run with limits a deployment does not have.
   */
  transactionLimits?: boolean | Partial<Record<keyof typeof CONVEX_TRANSACTION_LIMITS, number>>;
}

/** convex-test's limit names, with the limits Convex (and this backend) enforce. */
const CONVEX_TRANSACTION_LIMITS = {
  bytesRead: LIMITS.bytesReadPerTransaction,
  bytesWritten: LIMITS.bytesWrittenPerTransaction,
  documentsRead: LIMITS.docsScannedPerTransaction,
  databaseQueries: LIMITS.indexRangesPerTransaction,
  documentsWritten: LIMITS.docsWrittenPerTransaction,
  functionsScheduled: LIMITS.maxScheduledPerMutation,
  // Total size of the arguments of the functions one mutation schedules (Convex docs: 16 MiB).
  scheduledFunctionArgsBytes: 16 * 1024 * 1024,
} as const;

function checkTransactionLimits(limits: ConvexTestOptions["transactionLimits"]) {
  if (limits === undefined || typeof limits === "boolean") return;
  if (limits === null || typeof limits !== "object") {
    throw new Error(`transactionLimits must be a boolean or an object of limits, got ${String(limits)}.`);
  }
  for (const [name, value] of Object.entries(limits)) {
    if (!(name in CONVEX_TRANSACTION_LIMITS)) {
      throw new Error(`transactionLimits.${name} is not a limit; known: ${Object.keys(CONVEX_TRANSACTION_LIMITS).join(", ")}.`);
    }
    const convex = CONVEX_TRANSACTION_LIMITS[name as keyof typeof CONVEX_TRANSACTION_LIMITS];
    if (value !== undefined && value !== convex) {
      throw new Error(
        `transactionLimits.${name} = ${value}: the local backend always enforces Convex's limit (${convex}), ` +
          `as a deployment does; other values are not supported.`,
      );
    }
  }
}

/** convex-test tells its two signatures apart by the schema's `tables` object. */
function isSchemaDefinition(x: unknown): x is SchemaLike {
  return x !== null && typeof x === "object" && "tables" in x && typeof (x as any).tables === "object";
}

/**
 * Creates a test backend: `convexTest(schema, modules)` or `convexTest({ schema, modules,
 * transactionLimits })`, as convex-test takes them. `schema` is the app's schema (or undefined),
 * `modules` the `import.meta.glob` of its `convex/` folder, or a path to the folder (bundled like
 * a deploy).
 */
export function convexTest(options?: ConvexTestOptions): TestConvex;
export function convexTest(schema?: SchemaLike, modules?: Record<string, () => Promise<any>> | string): TestConvex;
export function convexTest(
  schemaOrOptions?: SchemaLike | ConvexTestOptions,
  modulesArg?: Record<string, () => Promise<any>> | string,
): TestConvex {
  let schema: { export(): string } | undefined;
  let modules = modulesArg;
  if (schemaOrOptions === undefined || isSchemaDefinition(schemaOrOptions)) {
    schema = schemaOrOptions as { export(): string } | undefined;
  } else {
    const opts = schemaOrOptions as ConvexTestOptions;
    checkTransactionLimits(opts.transactionLimits);
    schema = opts.schema as { export(): string } | undefined;
    modules = opts.modules;
  }
  let backendPromise: Promise<LocalBackend> | null = null;
  const components: Record<string, RegisteredComponent> = {};
  const dataDir = mkdtempSync(path.join(tmpdir(), "local-backend-test-"));
  const getBackend = () =>
    (backendPromise ??= LocalBackend.start({
      dataDir,
      schema,
      components,
      ...(typeof modules === "string" ? { convexDir: modules } : { modules: modules ?? {} }),
    }).then((backend) => {
      // Like convex-test's scheduler: jobs follow vi.useFakeTimers() while a test has it on.
      backend.scheduler.followFakeTimers = true;
      return backend;
    }));
  const handle = {
    dataDir,
    async close() {
      open.delete(handle);
      if (backendPromise) await (await backendPromise).close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  open.add(handle);
  if (!exitHook) {
    exitHook = true;
    process.once("beforeExit", () => void Promise.all([...open].map((h) => h.close())));
    // Test runners often end workers without beforeExit; at least remove the data dirs.
    process.once("exit", () => {
      for (const h of open) rmSync(h.dataDir, { recursive: true, force: true });
    });
  }

  const make = (identity: UserIdentity | null): TestConvex => {
    const opts: CallOptions = { identity, allowInternal: true };
    const args = (a?: Record<string, Value>) => convexToJson(a ?? {}) as any;
    // An inline handler gets its ctx and (as in convex-test) a copy of the args, via Convex JSON.
    const inline = (kind: "query" | "mutation" | "action", handler: (ctx: any, a: any) => any, a?: Record<string, Value>) => {
      const copy = jsonToConvex(args(a));
      return inlineFunction(kind, (ctx) => handler(ctx, copy));
    };
    return {
      async query(ref, a) {
        const { runner } = await getBackend();
        if (typeof ref === "function") return outcomeValue(await runner.executeQuery(inline("query", ref, a), {}, opts));
        return outcomeValue(await runner.runQuery(pathOf(ref), args(a), opts));
      },
      async mutation(ref, a) {
        const { runner } = await getBackend();
        if (typeof ref === "function") return outcomeValue(await runner.executeMutation(inline("mutation", ref, a), {}, opts));
        return outcomeValue(await runner.runMutation(pathOf(ref), args(a), opts));
      },
      async action(ref, a) {
        const { runner } = await getBackend();
        if (typeof ref === "function") return outcomeValue(await runner.executeAction(inline("action", ref, a), {}, opts));
        return outcomeValue(await runner.runAction(pathOf(ref), args(a), opts));
      },
      async run(handler) {
        return outcomeValue(await (await getBackend()).runner.executeMutation(inlineFunction("mutation", handler), {}, opts));
      },
      withIdentity(partial) {
        const issuer = partial.issuer ?? "https://convex.test";
        const subject = partial.subject ?? `test-user-${Math.random().toString(36).slice(2)}`;
        return make({ ...partial, issuer, subject, tokenIdentifier: partial.tokenIdentifier ?? `${issuer}|${subject}` });
      },
      async fetch(pathQueryFragment, init) {
        if (!pathQueryFragment.startsWith("/")) throw new Error(`Path given to \`t.fetch\` must start with a \`/\`, got ${pathQueryFragment}`);
        const backend = await getBackend();
        const request = new Request(`${backend.siteUrl}${pathQueryFragment}`, init);
        return (await backend.runner.runHttpAction(request, opts)).response;
      },
      async finishInProgressScheduledFunctions() {
        await (await getBackend()).scheduler.idle();
      },
      async finishAllScheduledFunctions(advanceTimers, maxIterations) {
        await (await getBackend()).scheduler.runAllPending(advanceTimers, maxIterations);
      },
      registerComponent(name, componentSchema, componentModules) {
        if (backendPromise) throw new Error(`registerComponent("${name}") must be called before the first function call.`);
        components[name] = { schema: componentSchema as unknown as { export(): string } | undefined, modules: componentModules };
      },
      backend: getBackend,
      close: handle.close,
    };
  };
  return make(null);
}
