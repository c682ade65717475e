import { getFunctionName } from "convex/server";
import { ConvexError, convexToJson, jsonToConvex, type Value } from "convex/values";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { LocalBackend } from "./backend.js";
import type { UserIdentity } from "./runtime/context.js";
import { inlineFunction, type CallOptions, type FunctionOutcome } from "./runtime/runner.js";

/**
 * A test harness with convex-test's interface, backed by a real in-process local backend on a
 * temporary data dir. Swap `import { convexTest } from "convex-test"` for this module and the
 * same test runs against the local backend's storage, indexes, validation and limits.
 */
export interface TestConvex {
  query<R = any>(ref: any, args?: Record<string, Value>): Promise<R>;
  mutation<R = any>(ref: any, args?: Record<string, Value>): Promise<R>;
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
  finishAllScheduledFunctions(advanceTimers?: () => void): Promise<void>;
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

/**
 * Creates a test backend. `schema` is the app's schema (or undefined), `modules` the
 * `import.meta.glob` of its `convex/` folder, or a path to the folder (bundled like a deploy).
 */
export function convexTest(schema?: { export(): string }, modules?: Record<string, () => Promise<any>> | string): TestConvex {
  let backendPromise: Promise<LocalBackend> | null = null;
  const dataDir = mkdtempSync(path.join(tmpdir(), "local-backend-test-"));
  const getBackend = () =>
    (backendPromise ??= LocalBackend.start({
      dataDir,
      schema,
      ...(typeof modules === "string" ? { convexDir: modules } : { modules: modules ?? {} }),
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
    return {
      async query(ref, a) {
        return outcomeValue(await (await getBackend()).runner.runQuery(pathOf(ref), args(a), opts));
      },
      async mutation(ref, a) {
        return outcomeValue(await (await getBackend()).runner.runMutation(pathOf(ref), args(a), opts));
      },
      async action(ref, a) {
        return outcomeValue(await (await getBackend()).runner.runAction(pathOf(ref), args(a), opts));
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
      async finishAllScheduledFunctions(advanceTimers) {
        await (await getBackend()).scheduler.runAllPending(advanceTimers);
      },
      backend: getBackend,
      close: handle.close,
    };
  };
  return make(null);
}
