// One set of input rules per text field (length, format, trimming), shared by the Convex model
// checks (convex/lib/fields.ts cleanField), the Remix actions (app/utils/fields.server.ts) and the
// inputs' maxLength (fieldProps). Lengths count UTF-16 units, as `.length` and HTML maxLength do.
// A rule's numbers are the server's: a form never allows more than Convex accepts.
import { MAX_SLUG_LENGTH, SLUG_PATTERN } from "./constants";
import { ERROR_CODES } from "./errors";

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
const HOSTNAME_PATTERN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const COLOR_PATTERN = /^#[0-9a-f]{6}$/i;
const DOMAIN_COPY = "Enter a domain like news.example.com.";
const COLOR_COPY = "Use a color like #1a73e8.";
const CURRENCY_COPY = "Use a three-letter currency code, like usd.";

/** Every text field people type into, by name. Add a rule here rather than a number in a form. */
export const FIELDS = {
  siteName: { min: 1, max: 120, messages: { required: "Give the publication a name." } },
  siteDescription: { max: 500 },
  customDomain: { max: 253, pattern: HOSTNAME_PATTERN, lowercase: true, messages: { tooLong: DOMAIN_COPY, pattern: DOMAIN_COPY } },
  accentColor: { max: 7, pattern: COLOR_PATTERN, messages: { tooLong: COLOR_COPY, pattern: COLOR_COPY } },
  /** Site, post, tag and category addresses. */
  slug: { min: 1, max: MAX_SLUG_LENGTH, pattern: SLUG_PATTERN, lowercase: true, messages: { required: ERROR_CODES.INVALID_SLUG, tooLong: ERROR_CODES.INVALID_SLUG, pattern: ERROR_CODES.INVALID_SLUG } },
  postTitle: { max: 300 },
  postExcerpt: { max: 1000 },
  seoTitle: { max: 200 },
  seoDescription: { max: 400 },
  displayName: { min: 1, max: 100, trim: "collapse", messages: { required: "Enter your name." } },
  email: { min: 1, max: 254, pattern: EMAIL_PATTERN, lowercase: true, messages: { required: "Enter a valid email address.", tooLong: "Enter a valid email address.", pattern: "Enter a valid email address." } },
  password: { min: 8, max: 256, trim: "none", messages: { required: "Use at least 8 characters.", tooLong: "Use at most 256 characters." } },
  planName: { min: 1, max: 80, messages: { required: "Give the plan a name.", tooLong: "At most 80 characters." } },
  planDescription: { max: 500 },
  /** ISO 4217 code, stored lowercase. */
  currency: { min: 1, max: 3, pattern: /^[a-z]{3}$/, lowercase: true, messages: { required: CURRENCY_COPY, tooLong: CURRENCY_COPY, pattern: CURRENCY_COPY } },
  planFeature: { min: 1, max: 120 },
  bio: { max: 1000 },
  location: { max: 100 },
  reviewComment: { min: 1, max: 2000 },
  /** Tag and category names and descriptions (model/taxonomy.ts, the studio's taxonomy screen). */
  taxonomyName: { min: 1, max: 100, trim: "collapse" },
  taxonomyDescription: { max: 500 },
  /** A post cover image's alt text and caption (issue #16). */
  coverAlt: { max: 300 },
  coverCaption: { max: 300 },
  /** A navigation link in the site header (Studio → Design; shared/theme.ts navLinkProblem). */
  navLinkLabel: { min: 1, max: 40, messages: { required: "Give the link a label.", tooLong: "Labels have at most 40 characters." } },
  navLinkUrl: { min: 1, max: 500, messages: { required: "Give the link an address.", tooLong: "Addresses have at most 500 characters." } },
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
