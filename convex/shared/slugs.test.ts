import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { checkSlug, slugify } from "../model/slugs";
import { MAX_SLUG_LENGTH, RESERVED_POST_SLUGS, RESERVED_SITE_SLUGS } from "./constants";
import { slugProblem, toSlug } from "./slugs";
import { sourceFiles } from "../../tests/support/sources";

const convexDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const repo = path.resolve(convexDir, "..");


describe("the one slug rule", () => {
  test("toSlug: ASCII letters and digits joined by single hyphens, accents folded, at most MAX_SLUG_LENGTH", () => {
    expect(toSlug("  Rivers in Spring! ")).toBe("rivers-in-spring");
    expect(toSlug("Crème brûlée")).toBe("creme-brulee");
    expect(toSlug("日本")).toBe("");
    const long = toSlug("word ".repeat(40));
    expect(long.length).toBeLessThanOrEqual(MAX_SLUG_LENGTH);
    expect(long.endsWith("-")).toBe(false);
    expect(slugify("日本")).toBe("untitled");
  });

  test("slugProblem: form first, then the kind's reserved words", () => {
    expect(slugProblem("fine-slug", "post")).toBeNull();
    for (const bad of ["", "Upper", "two--hyphens", "-lead", "a".repeat(MAX_SLUG_LENGTH + 1)]) expect(slugProblem(bad, "post")).toBe("INVALID_SLUG");
    expect(slugProblem("feed", "post")).toBe("RESERVED_SLUG");
    expect(slugProblem("feed", "tag")).toBeNull();
    expect(slugProblem(RESERVED_SITE_SLUGS[0], "site")).toBe("RESERVED_SLUG");
  });

  test("Convex's checkSlug throws exactly what slugProblem says, for every kind", () => {
    const samples = ["ok", "", "Nope", ...RESERVED_POST_SLUGS, ...RESERVED_SITE_SLUGS];
    for (const kind of ["post", "tag", "category"] as const) {
      for (const slug of samples) {
        let thrown: string | null = null;
        try {
          checkSlug(slug, kind);
        } catch (e) {
          thrown = (e as { data: { code: string } }).data.code;
        }
        expect(thrown, `${kind} ${JSON.stringify(slug)}`).toBe(slugProblem(slug, kind));
      }
    }
  });

  test("no second copy of the rule: only convex/shared/slugs.ts makes slugs or tests their form", () => {
    const own = path.join(convexDir, "shared", "slugs.ts");
    const files = [...sourceFiles(path.join(repo, "app")), ...sourceFiles(convexDir)].filter((f) => f !== own);
    const rules: Array<[string, RegExp]> = [
      ["turns text into a slug", /\.replace\(\/\[\^a-z0-9\]\+\/g/],
      ["tests the slug pattern", /SLUG_PATTERN\.test\(/],
      ["checks reserved slugs", /RESERVED_(?:POST|SITE)_SLUGS(?: as readonly string\[\])?\)?\.includes\(/],
    ];
    const offenders: string[] = [];
    for (const file of files) {
      const src = readFileSync(file, "utf8");
      for (const [what, re] of rules) if (re.test(src)) offenders.push(`${path.relative(repo, file)} ${what}`);
    }
    expect(offenders).toEqual([]);
  });
});
