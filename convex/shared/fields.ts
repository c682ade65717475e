// One set of input rules per text field (length, format, trimming), shared by the Convex model
// checks (convex/lib/fields.ts cleanField), the Remix actions (app/utils/fields.server.ts) and the
// inputs' maxLength (fieldProps). Lengths count UTF-16 units, as `.length` and HTML maxLength do.
// A rule's numbers are the server's: a form never allows more than Convex accepts.
import { MAX_SLUG_LENGTH, SLUG_PATTERN } from "./constants";

export interface TextRule {
  /** Longest accepted value, after trimming. */
  readonly max: number;
  /** Shortest accepted value after trimming; 0 (the default) means optional. */
  readonly min?: number;
  /** "trim" (default), "collapse" (trim and single spaces) or "none" (passwords keep their spaces). */
  readonly trim?: "trim" | "collapse" | "none";
  /** Lowercase before checking (emails, domains). */
  readonly lowercase?: boolean;
  /** A format the (non-empty) value must match. */
  readonly pattern?: RegExp;
  /** Field-error copy; defaults: "1 to N characters." (required) or "At most N characters.". */
  readonly messages?: { readonly required?: string; readonly tooShort?: string; readonly tooLong?: string; readonly pattern?: string };
}

export const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Every text field people type into, by name. Add a rule here rather than a number in a form. */
export const FIELDS = {
  siteName: { min: 1, max: 120 },
  siteDescription: { max: 500 },
  /** Site, post, tag and category addresses. */
  slug: { min: 1, max: MAX_SLUG_LENGTH, pattern: SLUG_PATTERN, lowercase: true },
  postTitle: { max: 300 },
  postExcerpt: { max: 1000 },
  seoTitle: { max: 200 },
  seoDescription: { max: 400 },
  displayName: { min: 1, max: 100, trim: "collapse" },
  email: { min: 1, max: 254, pattern: EMAIL_PATTERN, lowercase: true },
  password: { min: 8, max: 256, trim: "none" },
  planName: { min: 1, max: 80, messages: { required: "Give the plan a name.", tooLong: "At most 80 characters." } },
  planDescription: { max: 500 },
  planFeature: { min: 1, max: 120 },
  bio: { max: 1000 },
  location: { max: 100 },
  reviewComment: { min: 1, max: 2000 },
  /** Tag and category names and descriptions (model/taxonomy.ts, the studio's taxonomy screen). */
  taxonomyName: { min: 1, max: 100, trim: "collapse" },
  taxonomyDescription: { max: 500 },
} as const satisfies Record<string, TextRule>;

export type FieldName = keyof typeof FIELDS;

export type FieldCheck = { ok: true; value: string } | { ok: false; message: string };

/** The value as the rule normalises it (trimmed, collapsed, lowercased), unchecked. */
export function normalizeField(rule: TextRule, raw: string): string {
  const mode = rule.trim ?? "trim";
  let value = mode === "none" ? raw : mode === "collapse" ? raw.trim().replace(/\s+/g, " ") : raw.trim();
  if (rule.lowercase) value = value.toLowerCase();
  return value;
}

/** Checks `raw` against `rule`: the normalised value, or the field error people see. */
export function checkField(rule: TextRule, raw: string): FieldCheck {
  const value = normalizeField(rule, raw);
  const min = rule.min ?? 0;
  const range = min > 0 ? `1 to ${rule.max} characters.` : `At most ${rule.max} characters.`;
  if (min > 0 && value.length === 0) return { ok: false, message: rule.messages?.required ?? range };
  if (value.length < min) return { ok: false, message: rule.messages?.tooShort ?? `Use at least ${min} characters.` };
  if (value.length > rule.max) return { ok: false, message: rule.messages?.tooLong ?? range };
  if (rule.pattern && value.length > 0 && !rule.pattern.test(value)) {
    return { ok: false, message: rule.messages?.pattern ?? "That isn't in the expected format." };
  }
  return { ok: true, value };
}

/** Attributes for the field's <input>/<textarea>, so the browser enforces the same length. */
export function fieldProps(rule: TextRule): { maxLength: number } {
  return { maxLength: rule.max };
}
