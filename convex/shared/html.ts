// Plain text into HTML: the one escaper for every place that writes markup by hand (emails, the
// embed snippet, the theme preview, the import's HTML). Pure: imported by Convex and the app.

/** Text → HTML text or attribute value (both quotes too, so it is safe inside either). */
export function escapeHtml(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}
