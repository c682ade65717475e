// Reading plain HTML form posts.
import { checkField, FIELDS } from "../../convex/shared/fields";

/** A text field, trimmed unless `raw` (passwords keep their spaces); "" when absent. */
export function formText(form: FormData, name: string, options: { raw?: boolean; max?: number } = {}): string {
  const value = form.get(name);
  if (typeof value !== "string") return "";
  const text = options.raw ? value : value.trim();
  return text.slice(0, options.max ?? 1000);
}

/** A plausible email address (the backend decides whether it exists). */
export function looksLikeEmail(value: string): boolean {
  return checkField(FIELDS.email, value).ok;
}
