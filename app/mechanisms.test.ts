import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { sourceFiles } from "../tests/support/sources";

// One mechanism per job in app/ (issue #14): a reintroduced second copy fails here.

const APP = path.join(__dirname);

function sources(dir = APP): Array<{ file: string; text: string }> {
  return sourceFiles(dir).map((full) => ({ file: path.relative(APP, full), text: readFileSync(full, "utf8") }));
}

/** Files (relative to app/) whose source matches `pattern`. */
function filesMatching(pattern: RegExp): string[] {
  return sources()
    .filter((s) => pattern.test(s.text))
    .map((s) => s.file)
    .sort();
}

describe("one mechanism per job in app/", () => {
  test("money is formatted only by utils/money.ts", () => {
    expect(filesMatching(/style:\s*["']currency["']/)).toEqual(["utils/money.ts"]);
  });

  test("live data comes from one hook: only studio/live.ts subscribes (useQuery/useQueries)", () => {
    expect(filesMatching(/\buse(Query|Queries|PaginatedQuery)\s*[(<]/)).toEqual(["studio/live.ts"]);
  });

  test("sign-in limits live in Convex (convex/lib/rateLimits.ts), not in a server process", () => {
    // A per-process limiter counts per worker, so the real limit grows with the workers.
    expect(filesMatching(/\b(recordFailure|FailedSignInLimiter|failedSignIns)\b|new RateLimiter\b/)).toEqual([]);
    const convexDir = path.join(APP, "..", "convex");
    const limiters = sources(convexDir)
      .filter((s) => /new RateLimiter\b/.test(s.text))
      .map((s) => s.file);
    expect(limiters).toEqual([path.join("..", "convex", "lib", "rateLimits.ts")]);
  });

  test("Convex functions are referenced only through the generated api/internal", () => {
    // No hand-typed references (makeFunctionReference, anyApi) and no function names as strings.
    expect(filesMatching(/\bmakeFunctionReference\b|\banyApi\b/)).toEqual([]);
    expect(filesMatching(/\.(query|mutation|action)\(\s*["'`][\w/]+:\w+/)).toEqual([]);
  });
});
