// The one adapter from the field rules (convex/shared/fields.ts) to Remix actions: a form post's
// fields, normalised as Convex will store them, and the field errors Convex would answer, without
// the round trip. Convex checks the same rules again (convex/lib/errors.ts cleanField).
import { checkField, normalizeField, type TextRule } from "../../convex/shared/fields";

/** Most characters an action reads of any field before checking it (the form's own limit is far lower). */
const MAX_READ = 100_000;

export interface ReadFields<K extends string> {
  /** Normalised values ("" when absent); an over-long value is echoed back cut at its limit. */
  values: Record<K, string>;
  /** Field errors by field name (only fields that fail), for `errors.fields`; empty when every field passes. */
  fields: { [name: string]: string };
}

/** Reads and checks one field. */
export function readField(form: FormData, name: string, rule: TextRule): { value: string; error?: string } {
  const raw = form.get(name);
  const text = typeof raw === "string" ? raw.slice(0, MAX_READ) : "";
  const check = checkField(rule, text);
  if (check.ok) return { value: check.value };
  return { value: normalizeField(rule, text).slice(0, rule.max), error: check.message };
}

/** Reads and checks several fields, by field name → rule. */
export function readFields<K extends string>(form: FormData, rules: Record<K, TextRule>): ReadFields<K> {
  const values = {} as Record<K, string>;
  const fields: { [name: string]: string } = {};
  for (const name of Object.keys(rules) as K[]) {
    const { value, error } = readField(form, name, rules[name]);
    values[name] = value;
    if (error) fields[name] = error;
  }
  return { values, fields };
}

/** Whether `fields` has any error (the action answers 400 with them). */
export function hasFieldErrors(fields: { [name: string]: string }): boolean {
  return Object.keys(fields).length > 0;
}
