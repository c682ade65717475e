import { afterEach, describe, expect, test } from "vitest";
import { serverEnv } from "../app/env.server";
import { env } from "./env";

// convex/env.ts and app/env.server.ts are the one reader of process.env on each side (ESLint forbids
// it elsewhere). Each getter must read the variable of its own name, when called: a mistyped or
// copy-pasted getter, or one that caches its first value (a deployment's variables change without a
// push; tests set the app's per test), fails here.
const modules = [
  ["convex/env.ts", env, "SITE_URL"],
  ["app/env.server.ts", serverEnv, "CONVEX_URL"],
] as const;

// Untyped view: some variables (NODE_ENV) have a literal type in @types/node.
const vars: Record<string, string | undefined> = process.env;

describe.each(modules)("%s", (_file, getters, known) => {
  const read = getters as unknown as Record<string, string | undefined>;
  const names = Object.keys(Object.getOwnPropertyDescriptors(getters));
  const saved = Object.fromEntries(names.map((n) => [n, vars[n]]));

  afterEach(() => {
    for (const n of names) {
      if (saved[n] === undefined) delete vars[n];
      else vars[n] = saved[n];
    }
  });

  test("every getter reads the variable of its own name, at call time", () => {
    expect(names).toContain(known);
    for (const n of names) delete vars[n];
    for (const n of names) expect(read[n], n).toBeUndefined();
    for (const n of names) vars[n] = `value of ${n}`;
    for (const n of names) expect(read[n], n).toBe(`value of ${n}`);
  });
});
