import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { FIELDS, type FieldName } from "../convex/shared/fields";
import { readField, readFields } from "./utils/fields.server";
import { sourceFiles } from "../tests/support/sources";

// Drift tests for the one set of field rules (convex/shared/fields.ts): every input's maxLength and
// every action's check of a rule-governed field must come from the rule, so a form can never allow
// more (or less) than Convex accepts. Scans the sources; each check fails on a copied number.

const appDir = path.dirname(new URL(import.meta.url).pathname);
const repo = path.resolve(appDir, "..");


const read = (rel: string) => readFileSync(path.join(repo, rel), "utf8");

/** A file's source, or every .tsx file's in a folder (components move between files in a folder). */
const readAll = (rel: string) =>
  rel.endsWith("/") ? sourceFiles(path.join(repo, rel), /\.tsx$/).map((f) => readFileSync(f, "utf8")).join("\n") : read(rel);

/** The JSX elements (from `<Tag` to its closing `>`) that carry `attr` (e.g. `name="email"`). */
function elementsWith(src: string, attr: string): string[] {
  const out: string[] = [];
  for (let at = src.indexOf(attr); at >= 0; at = src.indexOf(attr, at + 1)) {
    let depth = 0;
    let start = -1;
    for (let i = at; i >= 0; i--) {
      const c = src[i];
      if (c === "}") depth++;
      else if (c === "{") depth--;
      else if (c === "<" && depth === 0 && /[A-Za-z]/.test(src[i + 1] ?? "")) {
        start = i;
        break;
      }
    }
    depth = 0;
    let end = -1;
    for (let i = at; i < src.length; i++) {
      const c = src[i];
      if (c === "{") depth++;
      else if (c === "}") depth--;
      else if (c === ">" && depth === 0) {
        end = i;
        break;
      }
    }
    if (start >= 0 && end > start) out.push(src.slice(start, end + 1));
  }
  return out;
}

/** The rule an element's maxLength comes from, or a description of what it has instead. */
function maxLengthSource(element: string): string {
  const props = element.match(/fieldProps\(FIELDS\.(\w+)\)/) ?? element.match(/maxLength=\{FIELDS\.(\w+)\.max\}/);
  if (props) return props[1];
  const literal = element.match(/maxLength=\{([^}]+)\}/);
  return literal ? `maxLength=${literal[1]}` : "no maxLength";
}

// Every form input of a rule-governed field: file, the attribute that finds it, its rule.
const taxonomyScreen = existsSync(path.join(appDir, "studio/taxonomy.tsx"))
  ? [
      ["app/studio/taxonomy.tsx", 'name="name"', "taxonomyName"],
      ["app/studio/taxonomy.tsx", 'name="description"', "taxonomyDescription"],
      ["app/studio/taxonomy.tsx", 'name="slug"', "slug"],
    ]
  : [
      ["app/routes/studio.$siteId.tags.tsx", 'name="name"', "taxonomyName"],
      ["app/routes/studio.$siteId.categories.tsx", 'name="name"', "taxonomyName"],
      ["app/routes/studio.$siteId.categories.tsx", 'name="description"', "taxonomyDescription"],
    ];
const INPUTS: Array<[string, string, FieldName]> = [
  ["app/routes/studio._index.tsx", 'name="name"', "siteName"],
  ["app/routes/studio._index.tsx", 'name="slug"', "slug"],
  ["app/routes/studio._index.tsx", 'name="description"', "siteDescription"],
  ["app/routes/studio.$siteId.settings.tsx", 'name="name"', "siteName"],
  ["app/routes/studio.$siteId.settings.tsx", 'name="description"', "siteDescription"],
  ["app/routes/studio.$siteId.settings.tsx", 'name="customDomain"', "customDomain"],
  ["app/routes/studio.$siteId.design.tsx", 'name="accentColor"', "accentColor"],
  ["app/studio/design.tsx", 'name="navLabel"', "navLinkLabel"],
  ["app/studio/design.tsx", 'name="navUrl"', "navLinkUrl"],
  ["app/studio/editor/", 'id="cover-alt"', "coverAlt"],
  ["app/studio/editor/", 'id="cover-caption"', "coverCaption"],
  ["app/routes/studio.$siteId.plans.tsx", 'name="name"', "planName"],
  ["app/routes/studio.$siteId.plans.tsx", 'name="description"', "planDescription"],
  ["app/routes/studio.$siteId.plans.tsx", 'name="currency"', "currency"],
  ["app/routes/studio.$siteId.members.tsx", 'name="email"', "email"],
  ["app/routes/studio.$siteId.review.tsx", 'name="comment"', "reviewComment"],
  ["app/routes/signup.tsx", 'name="name"', "displayName"],
  ["app/routes/signup.tsx", 'name="email"', "email"],
  ["app/routes/signup.tsx", 'name="password"', "password"],
  ["app/routes/account.tsx", 'name="name"', "displayName"],
  ["app/studio/editor/", 'id="post-title"', "postTitle"],
  ["app/studio/editor/", 'id="post-excerpt"', "postExcerpt"],
  ["app/studio/editor/", 'id="seo-title"', "seoTitle"],
  ["app/studio/editor/", 'id="seo-description"', "seoDescription"],
  ...(taxonomyScreen as Array<[string, string, FieldName]>),
];

// Every action that reads a rule-governed field: file, form field, rule.
const ACTIONS: Array<[string, string, FieldName]> = [
  ["app/routes/studio._index.tsx", "name", "siteName"],
  ["app/routes/studio._index.tsx", "slug", "slug"],
  ["app/routes/studio._index.tsx", "description", "siteDescription"],
  ["app/routes/studio.$siteId.settings.tsx", "name", "siteName"],
  ["app/routes/studio.$siteId.settings.tsx", "description", "siteDescription"],
  ["app/routes/studio.$siteId.settings.tsx", "customDomain", "customDomain"],
  ["app/routes/studio.$siteId.design.tsx", "accentColor", "accentColor"],
  ["app/routes/studio.$siteId.plans.tsx", "name", "planName"],
  ["app/routes/studio.$siteId.plans.tsx", "description", "planDescription"],
  ["app/routes/studio.$siteId.plans.tsx", "currency", "currency"],
  ["app/routes/studio.$siteId.members.tsx", "email", "email"],
  ["app/routes/studio.$siteId.review.tsx", "comment", "reviewComment"],
  ["app/routes/account.tsx", "name", "displayName"],
];

/** Whether `src` reads form field `name` through the adapter with FIELDS[rule]. */
function readsWithRule(src: string, name: string, rule: string): boolean {
  if (new RegExp(`readField\\(form, "${name}", FIELDS\\.${rule}\\)`).test(src)) return true;
  // Read as typed, checked with the rule (the value goes on to Convex unchanged).
  if (new RegExp(`const ${name} = field\\(form, "${name}"\\);[\\s\\S]*checkField\\(FIELDS\\.${rule}, ${name}\\)`).test(src)) return true;
  for (const m of src.matchAll(/readFields\(form, \{([^}]*)\}/g)) {
    if (new RegExp(`(^|[\\s,])${name}: FIELDS\\.${rule}\\b`).test(m[1])) return true;
  }
  return false;
}

describe("field rules drift: inputs", () => {
  test.each(INPUTS)("%s %s takes its maxLength from FIELDS.%s", (file, attr, rule) => {
    const elements = elementsWith(readAll(file), attr);
    expect(elements.length, `${attr} not found in ${file}`).toBeGreaterThan(0);
    expect(elements.map(maxLengthSource)).toEqual(elements.map(() => rule));
  });

  test("no input in app/ has a maxLength written as a number", () => {
    const offenders = sourceFiles(appDir, /\.tsx$/).flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(/maxLength=\{\s*\d+\s*\}/g)].map((m) => `${path.relative(repo, file)}: ${m[0]}`),
    );
    expect(offenders).toEqual([]);
  });
});

describe("field rules drift: actions", () => {
  test.each(ACTIONS)("%s reads %s with FIELDS.%s", (file, name, rule) => {
    expect(readsWithRule(read(file), name, rule)).toBe(true);
  });

  test("sign-up checks name, email and password with their rules", () => {
    const flows = read("app/auth/flows.server.ts");
    expect(flows).toMatch(/checkField\(FIELDS\.displayName, input\.name\)/);
    expect(flows).toMatch(/checkField\(FIELDS\.password, input\.password\)/);
    expect(read("app/auth/form-data.server.ts")).toMatch(/checkField\(FIELDS\.email, value\)/);
  });

  test("no action reads a rule-governed field with a length limit of its own", () => {
    const governed = "name|description|email|comment|customDomain|accentColor|currency|title|excerpt|password|newPassword";
    const limited = new RegExp(`\\b(?:field|formText)\\(form, "(?:${governed})", (?:\\d+|\\{[^}]*max:\\s*\\d+[^}]*\\})\\)`, "g");
    const offenders = sourceFiles(appDir).flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(limited)].map((m) => `${path.relative(repo, file)}: ${m[0]}`),
    );
    expect(offenders).toEqual([]);
  });
});

describe("readFields: the Remix adapter", () => {
  const form = (entries: Record<string, string>) => {
    const f = new FormData();
    for (const [k, v] of Object.entries(entries)) f.set(k, v);
    return f;
  };

  test("values come back normalised as Convex stores them; errors carry the rule's copy", () => {
    const { values, fields } = readFields(form({ name: "  The  Gazette ", description: "x".repeat(501) }), {
      name: FIELDS.siteName,
      description: FIELDS.siteDescription,
      customDomain: FIELDS.customDomain,
    });
    expect(values).toEqual({ name: "The  Gazette", description: "x".repeat(500), customDomain: "" });
    expect(fields).toEqual({ description: "At most 500 characters." });
  });

  test("a missing required field is a field error, not a crash", () => {
    expect(readField(form({}), "name", FIELDS.siteName)).toEqual({ value: "", error: "Give the publication a name." });
    expect(readField(form({ email: "Ada@Example.com" }), "email", FIELDS.email)).toEqual({ value: "ada@example.com" });
  });
});
