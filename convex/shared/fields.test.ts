import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { cleanField } from "../lib/errors";
import { ERROR_CODES } from "./errors";
import { checkField, FIELDS, fieldProps, normalizeField, type TextRule } from "./fields";
import { sourceFiles } from "../../tests/support/sources";

const convexDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");


describe("checkField", () => {
  test("trims, then checks the length the rule allows", () => {
    const rule: TextRule = { max: 5 };
    expect(checkField(rule, "  abc  ")).toEqual({ ok: true, value: "abc" });
    expect(checkField(rule, "abcde")).toEqual({ ok: true, value: "abcde" });
    expect(checkField(rule, "abcdef")).toEqual({ ok: false, message: "At most 5 characters." });
    expect(checkField(rule, "   ")).toEqual({ ok: true, value: "" }); // optional
  });

  test("required fields refuse empty and whitespace-only values", () => {
    const rule: TextRule = { min: 1, max: 3 };
    expect(checkField(rule, " \n ")).toEqual({ ok: false, message: "1 to 3 characters." });
    expect(checkField(rule, "abcd")).toEqual({ ok: false, message: "1 to 3 characters." });
  });

  test("trim modes: collapse joins inner whitespace, none keeps every character", () => {
    expect(normalizeField({ max: 10, trim: "collapse" }, "  a \t b  ")).toBe("a b");
    expect(checkField(FIELDS.password, "  pass word  ")).toEqual({ ok: true, value: "  pass word  " });
    expect(checkField(FIELDS.password, "short")).toEqual({ ok: false, message: "Use at least 8 characters." });
    expect(checkField(FIELDS.password, "x".repeat(257))).toEqual({ ok: false, message: "Use at most 256 characters." });
  });

  test("formats are checked after normalising; an empty optional value skips the format", () => {
    expect(checkField(FIELDS.email, " Ada@Example.COM ")).toEqual({ ok: true, value: "ada@example.com" });
    expect(checkField(FIELDS.email, "not-an-email").ok).toBe(false);
    expect(checkField(FIELDS.email, `${"a".repeat(250)}@b.co`).ok).toBe(false); // 255 > 254
    expect(checkField(FIELDS.customDomain, "News.Example.com")).toEqual({ ok: true, value: "news.example.com" });
    expect(checkField(FIELDS.customDomain, "")).toEqual({ ok: true, value: "" });
    expect(checkField(FIELDS.customDomain, "not a domain")).toEqual({ ok: false, message: "Enter a domain like news.example.com." });
    expect(checkField(FIELDS.accentColor, "blue")).toEqual({ ok: false, message: "Use a color like #1a73e8." });
    expect(checkField(FIELDS.currency, "USD")).toEqual({ ok: true, value: "usd" });
    expect(checkField(FIELDS.currency, "dollars").ok).toBe(false);
    expect(checkField(FIELDS.slug, "Not A Slug!")).toEqual({ ok: false, message: ERROR_CODES.INVALID_SLUG });
    expect(checkField(FIELDS.slug, "a".repeat(97))).toEqual({ ok: false, message: ERROR_CODES.INVALID_SLUG });
  });

  test("the limits Convex has always enforced (the server's numbers win over the forms')", () => {
    const limits = Object.fromEntries(Object.entries(FIELDS).map(([name, rule]) => [name, rule.max]));
    expect(limits).toMatchObject({
      siteName: 120,
      siteDescription: 500,
      slug: 96,
      postTitle: 300,
      postExcerpt: 1000,
      seoTitle: 200,
      seoDescription: 400,
      displayName: 100,
      email: 254,
      password: 256,
      planName: 80,
      planDescription: 500,
      planFeature: 120,
      bio: 1000,
      location: 100,
      reviewComment: 2000,
      taxonomyName: 100,
      taxonomyDescription: 500,
    });
    expect(fieldProps(FIELDS.siteName)).toEqual({ maxLength: 120 });
  });
});

describe("cleanField (Convex model checks)", () => {
  test("returns the normalised value, or throws INVALID_ARGUMENT on the field with the rule's copy", () => {
    expect(cleanField(FIELDS.siteName, "  The Gazette ", "name")).toBe("The Gazette");
    let thrown: unknown;
    try {
      cleanField(FIELDS.siteName, "x".repeat(121), "name");
    } catch (e) {
      thrown = e;
    }
    expect((thrown as { data?: unknown }).data).toEqual({ code: "INVALID_ARGUMENT", field: "name", message: "1 to 120 characters." });
    expect(() => cleanField(FIELDS.email, "nope", "email", "Enter an email address.")).toThrow();
  });

  test("model code checks rule-governed fields through cleanField, not a length of its own", () => {
    // Each of these throws the rule's field error; a hand-written INVALID_ARGUMENT on them is a second copy.
    const governed = ["title", "excerpt", "seoTitle", "seoDescription", "bio", "location", "comment", "customDomain", "accentColor", "currency", "email"];
    const offenders: string[] = [];
    let cleanFieldCalls = 0;
    for (const file of sourceFiles(convexDir, /\.ts$/)) {
      const src = readFileSync(file, "utf8");
      cleanFieldCalls += (src.match(/\bcleanField\(FIELDS\./g) ?? []).length;
      for (const m of src.matchAll(/appError\(\s*"INVALID_ARGUMENT",\s*\{\s*field:\s*"([A-Za-z]+)"/g)) {
        if (governed.includes(m[1])) offenders.push(`${path.relative(convexDir, file)}: ${m[1]}`);
      }
      // A length limit written as a number next to a field error.
      for (const m of src.matchAll(/\.length\s*>\s*(\d+)[^\n]*\n?[^\n]*INVALID_ARGUMENT[^\n]*field:\s*"([A-Za-z]+)"/g)) {
        if (governed.includes(m[2]) || m[2] === "name" || m[2] === "description") offenders.push(`${path.relative(convexDir, file)}: ${m[2]} > ${m[1]}`);
      }
    }
    expect(cleanFieldCalls).toBeGreaterThan(10);
    expect(offenders).toEqual([]);
  });
});
