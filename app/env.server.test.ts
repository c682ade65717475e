import { afterEach, expect, test } from "vitest";
import { serverEnv as env } from "./env.server";

// app/env.server.ts is the one reader of process.env in app/ (ESLint forbids it elsewhere). Each
// getter must read the variable of its own name, when called: a mistyped or copy-pasted getter, or
// one that caches its first value (tests set these per test), fails here.
const names = Object.keys(Object.getOwnPropertyDescriptors(env)) as Array<keyof typeof env>;
// Untyped view: some variables (NODE_ENV) have a literal type in @types/node.
const vars: Record<string, string | undefined> = process.env;
const saved = Object.fromEntries(names.map((n) => [n, vars[n]]));

afterEach(() => {
  for (const n of names) {
    if (saved[n] === undefined) delete vars[n];
    else vars[n] = saved[n];
  }
});

test("every getter reads the variable of its own name, at call time", () => {
  expect(names).toContain("CONVEX_URL");
  for (const n of names) delete vars[n];
  for (const n of names) expect(env[n], n).toBeUndefined();
  for (const n of names) vars[n] = `value of ${n}`;
  for (const n of names) expect(env[n], n).toBe(`value of ${n}`);
});
