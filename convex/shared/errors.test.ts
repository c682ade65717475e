import { readFileSync } from "node:fs";
import path from "node:path";
import { ConvexError } from "convex/values";
import { describe, expect, test } from "vitest";
import { ERROR_CODES, errorCodeOf, errorMessage, toUserError, UNEXPECTED_MESSAGE, UserFacingError } from "./errors";
import { sourceFiles } from "../../tests/support/sources";

const convexDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const repo = path.resolve(convexDir, "..");


describe("toUserError: the one way to turn a thrown value into user text", () => {
  test("a catalogue code shows the catalogue's line, not the error's message", () => {
    const failure = toUserError(new ConvexError({ code: "FORBIDDEN", message: "member 123 lacks role admin" }));
    expect(failure).toMatchObject({ code: "FORBIDDEN", message: ERROR_CODES.FORBIDDEN });
  });

  test("codes whose message is written copy show it, with the field for the form", () => {
    expect(toUserError(new ConvexError({ code: "INVALID_ARGUMENT", field: "name", message: "1 to 100 characters." }))).toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "name",
      message: "1 to 100 characters.",
    });
    expect(toUserError(new ConvexError({ code: "INVALID_STATE", message: "Only drafts can be scheduled." })).message).toBe("Only drafts can be scheduled.");
    expect(toUserError(new ConvexError({ code: "REAUTH_REQUIRED", message: "Sign in again." })).message).toBe("Sign in again.");
    // Without a message of its own, the catalogue's line.
    expect(toUserError(new ConvexError({ code: "INVALID_ARGUMENT", field: "x" })).message).toBe(ERROR_CODES.INVALID_ARGUMENT);
  });

  test("unknown errors get the generic line, never their internals", () => {
    for (const thrown of [
      new Error("[Request ID: 9] Server Error: Uncaught TypeError at model/posts.ts:12"),
      new ConvexError({ code: "SOMETHING_NEW", message: "internal" }),
      new ConvexError("a plain string payload"),
      "a thrown string",
      null,
      undefined,
      { data: ["not", "an", "object"] },
    ]) {
      expect(toUserError(thrown)).toEqual({ code: null, message: UNEXPECTED_MESSAGE });
    }
  });

  test("a UserFacingError (copy written by app code) shows its message, with its field", () => {
    expect(toUserError(new UserFacingError("Use a PNG, JPEG, WebP or GIF image."))).toEqual({
      code: "INVALID_ARGUMENT",
      field: undefined,
      message: "Use a PNG, JPEG, WebP or GIF image.",
    });
    expect(toUserError(new UserFacingError("Pick a file.", "cover"))).toMatchObject({ field: "cover", message: "Pick a file." });
    // A plain Error with the same text is not trusted: it could be anything.
    expect(toUserError(new Error("Use a PNG, JPEG, WebP or GIF image.")).message).toBe(UNEXPECTED_MESSAGE);
  });

  test("errors are read by shape, so a ConvexError from another bundle or the wire works", () => {
    const fromWire = { name: "ConvexError", message: "{}", data: { code: "SLUG_TAKEN", field: "slug" } };
    expect(toUserError(fromWire)).toMatchObject({ code: "SLUG_TAKEN", field: "slug", message: ERROR_CODES.SLUG_TAKEN });
    expect(errorCodeOf(fromWire)).toBe("SLUG_TAKEN");
    expect(errorCodeOf(new Error("SLUG_TAKEN"))).toBeNull();
  });

  test("errorMessage: catalogue copy for a code, the generic line otherwise", () => {
    expect(errorMessage("NOT_FOUND")).toBe(ERROR_CODES.NOT_FOUND);
    expect(errorMessage("toString")).toBe(UNEXPECTED_MESSAGE);
    expect(errorMessage(undefined)).toBe(UNEXPECTED_MESSAGE);
  });
});

describe("error catalogue drift", () => {
  test("every code thrown in convex/ is in the catalogue", () => {
    const thrown = new Map<string, string>();
    const patterns = [
      /\b(?:appError|authError)\(\s*["']([A-Za-z_]+)["']/g,
      /new ConvexError\(\s*\{\s*code:\s*["']([A-Za-z_]+)["']/g,
      // Literal codes in the auth error type (convex/model/account.ts AuthErrorCode).
      /AuthErrorCode\s*=\s*([^;]+);/g,
    ];
    for (const file of sourceFiles(convexDir)) {
      const src = readFileSync(file, "utf8");
      for (const pattern of patterns) {
        for (const m of src.matchAll(pattern)) {
          const codes = pattern.source.startsWith("AuthErrorCode") ? [...m[1].matchAll(/"([A-Za-z_]+)"/g)].map((c) => c[1]) : [m[1]];
          for (const code of codes) thrown.set(code, path.relative(convexDir, file));
        }
      }
    }
    // The scan really finds the codes (so an empty scan cannot pass).
    expect(thrown.size).toBeGreaterThan(10);
    expect([...thrown.keys()]).toEqual(expect.arrayContaining(["NOT_FOUND", "INVALID_ARGUMENT", "CONFLICT", "INVALID_CREDENTIALS"]));
    const missing = [...thrown].filter(([code]) => !(code in ERROR_CODES)).map(([code, file]) => `${code} (${file})`);
    expect(missing).toEqual([]);
  });

  test("error text is made in one place: no other file reads error data by shape or indexes the catalogue", () => {
    const files = [...sourceFiles(path.join(repo, "app")), ...sourceFiles(convexDir)].filter(
      (f) => f !== path.join(convexDir, "shared", "errors.ts"),
    );
    const rules: Array<[string, RegExp]> = [
      ["reads a ConvexError's data by shape", /\{\s*data\?:\s*(?:unknown|\{)|\.data\?*\.(?:code|message)\b|error\.data as/],
      ["indexes the catalogue by a computed code", /ERROR_CODES\s+as\s+Record|ERROR_CODES\)?\[/],
      ["keeps its own list of codes whose message is shown", /MESSAGE_IS_COPY/],
      ["writes the generic line itself", /An unexpected error occurred/],
    ];
    const offenders: string[] = [];
    for (const file of files) {
      const src = readFileSync(file, "utf8");
      for (const [what, re] of rules) if (re.test(src)) offenders.push(`${path.relative(repo, file)} ${what}`);
    }
    expect(offenders).toEqual([]);
  });

  test("the callers that turn errors into text use the one helper", () => {
    const callers = [
      "app/studio/errors.ts",
      "app/auth/errors.server.ts",
      "app/editor/autosave.ts",
      "app/editor/Editor.tsx",
      "app/reader/billing.server.ts",
      "convex/sites.ts",
      "convex/model/studioPosts.ts",
    ];
    const notUsing = callers.filter((rel) => {
      const src = readFileSync(path.join(repo, rel), "utf8");
      return !/import\s*\{[^}]*\b(?:toUserError|errorCodeOf)\b[^}]*\}\s*from\s*["'][./]*(?:convex\/)?shared\/errors["']/.test(src);
    });
    expect(notUsing).toEqual([]);
  });
});
