// Transactional emails (sign-in codes, receipts, notices) in the same layout as post emails: one
// heading, a few paragraphs of text, an optional code and an optional button. Every string is
// text (escaped here). Not used yet: the sign-in code emails in model/email.ts can switch to it.

import { buttonHtml, escapeHtml, htmlToText, layoutHtml, oneLine, requireHttpUrl, type EmailSite } from "./layout";

export interface TransactionalEmailInput {
  site: EmailSite;
  subject: string;
  heading: string;
  paragraphs: string[];
  /** A one-time code, shown large and alone on its line. */
  code?: string;
  button?: { label: string; url: string };
  /** Footer line, e.g. why the reader got this email. */
  footer?: string;
}

export function renderTransactionalEmail(input: TransactionalEmailInput): { subject: string; html: string; text: string } {
  const subject = oneLine(input.subject) || oneLine(input.site.name);
  const content =
    `<h1>${escapeHtml(oneLine(input.heading))}</h1>` +
    input.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join("") +
    (input.code ? `<p class="code">${escapeHtml(oneLine(input.code, 64))}</p>` : "") +
    (input.button ? buttonHtml(requireHttpUrl(input.button.url, "button"), oneLine(input.button.label, 80)) : "");
  const footerHtml = input.footer ? `<p>${escapeHtml(input.footer)}</p>` : "";
  const html = layoutHtml({ site: input.site, title: subject, contentHtml: content, footerHtml });
  return { subject, html, text: htmlToText(html) };
}
