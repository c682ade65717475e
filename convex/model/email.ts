import { internal } from "../_generated/api";
import type { ActionCtx } from "../_generated/server";
import { env } from "../env";
import { escapeHtml } from "../shared/html";
import type { EmailKind } from "../validators";

// The one way Pressroom sends email. With RESEND_API_KEY set, messages go to Resend's HTTP API
// (from EMAIL_FROM); without it they land in the `emails` outbox, which the dev mailbox page and the
// tests read. Either way nothing but actions send: mutations schedule internal.emails.* actions.

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
  kind: EmailKind;
}

/** Kept instead of the body of an email Resend delivered: codes and links are not stored at rest. */
export const DELIVERED_PLACEHOLDER = "(delivered by Resend; the body is not kept)";

const DEFAULT_FROM = "Pressroom <no-reply@pressroom.local>";

/**
 * Sends an email: through Resend when RESEND_API_KEY is set (RESEND_API_URL overrides the API origin,
 * for tests), otherwise into the `emails` outbox.
 * @throws Error when Resend refuses the message (the caller's action fails; nothing is recorded).
 */
export async function sendEmail(ctx: Pick<ActionCtx, "runMutation">, message: EmailMessage): Promise<void> {
  const to = message.to.trim().toLowerCase();
  const apiKey = env.RESEND_API_KEY;
  if (!apiKey) {
    await ctx.runMutation(internal.emails.enqueue, { ...message, to, provider: "outbox" });
    return;
  }
  const origin = (env.RESEND_API_URL ?? "https://api.resend.com").replace(/\/$/, "");
  const response = await fetch(`${origin}/emails`, {
    method: "POST",
    headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json" },
    body: JSON.stringify({
      from: env.EMAIL_FROM ?? DEFAULT_FROM,
      to: [to],
      subject: message.subject,
      text: message.text,
      ...(message.html !== undefined ? { html: message.html } : {}),
    }),
  });
  if (!response.ok) {
    // Resend's error body names the problem (domain not verified, invalid key); no secrets in it.
    const detail = (await response.text().catch(() => "")).slice(0, 300);
    throw new Error(`Email delivery failed: Resend answered ${response.status} ${detail}`);
  }
  await ctx.runMutation(internal.emails.enqueue, {
    to,
    subject: message.subject,
    text: DELIVERED_PLACEHOLDER,
    kind: message.kind,
    provider: "resend",
    sentAt: Date.now(),
  });
}

/** One message of a post send's batch (sendEmailBatch): per-recipient body, headers and tags. */
export interface BatchMessage {
  to: string;
  subject: string;
  html: string;
  text: string;
  headers: Record<string, string>;
  /** The display name before EMAIL_FROM's address (the newsletter's sender name). */
  fromName: string;
  replyTo?: string;
  /** Resend tags ([A-Za-z0-9_-]); the webhook finds the delivery by `delivery`. */
  tags: Array<{ name: string; value: string }>;
}

/** How long one provider batch call may take (connect, answer and body) before it counts as a transient failure. */
export const BATCH_TIMEOUT_MS = 10_000;

/** A batch the provider refused for good (4xx other than 409 in-flight and 429): do not retry. */
export class PermanentEmailError extends Error {}

/** `"Name" <address>` with EMAIL_FROM's address; the name is one line, without quotes or angle brackets. */
export function fromHeader(name: string): string {
  const configured = env.EMAIL_FROM ?? DEFAULT_FROM;
  const address = configured.match(/<([^>]+)>\s*$/)?.[1] ?? configured.trim();
  // eslint-disable-next-line no-control-regex
  const clean = name.replace(/[\u0000-\u001f\u007f"<>\\]+/g, " ").replace(/\s+/g, " ").trim().slice(0, 100);
  return clean ? `"${clean}" <${address}>` : `<${address}>`;
}

/**
 * Sends up to 100 messages in one call, at most once per `idempotencyKey`: Resend's
 * `POST /emails/batch` with an `Idempotency-Key` header (the same key and body answers the first
 * response and sends nothing), else the outbox, which keeps one batch per key. Returns the
 * provider's ids in message order.
 * @throws PermanentEmailError on a permanent refusal; Error on a transient one (429, 5xx, 409 in flight,
 *   network, BATCH_TIMEOUT_MS: retry with the same key).
 */
export async function sendEmailBatch(
  ctx: Pick<ActionCtx, "runMutation">,
  messages: BatchMessage[],
  idempotencyKey: string,
): Promise<string[]> {
  if (messages.length === 0 || messages.length > 100) throw new PermanentEmailError(`A batch has 1 to 100 messages, not ${messages.length}.`);
  const apiKey = env.RESEND_API_KEY;
  if (!apiKey) {
    return await ctx.runMutation(internal.emails.enqueueBatch, {
      idempotencyKey,
      messages: messages.map((m) => ({ to: m.to.trim().toLowerCase(), subject: m.subject, text: m.text, html: m.html })),
    });
  }
  const origin = (env.RESEND_API_URL ?? "https://api.resend.com").replace(/\/$/, "");
  const body = messages.map((m) => ({
    from: fromHeader(m.fromName),
    to: [m.to.trim().toLowerCase()],
    subject: m.subject,
    html: m.html,
    text: m.text,
    headers: m.headers,
    tags: m.tags,
    ...(m.replyTo ? { reply_to: m.replyTo } : {}),
  }));
  const response = await fetch(`${origin}/emails/batch`, {
    method: "POST",
    headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json", "Idempotency-Key": idempotencyKey },
    body: JSON.stringify(body),
    // Well under the send watchdog's STALE_MS (sendsPipeline.ts): a hung call ends as a transient error.
    signal: AbortSignal.timeout(BATCH_TIMEOUT_MS),
  });
  if (!response.ok) {
    const detail = (await response.text().catch(() => "")).slice(0, 300);
    const message = `Email batch failed: Resend answered ${response.status} ${detail}`;
    const transient = response.status === 429 || response.status >= 500 || (response.status === 409 && detail.includes("concurrent"));
    throw transient ? new Error(message) : new PermanentEmailError(message);
  }
  const json = (await response.json()) as { data?: Array<{ id?: unknown }> };
  const ids = (json.data ?? []).map((d) => (typeof d.id === "string" ? d.id : ""));
  if (ids.length !== messages.length) throw new Error(`Email batch: Resend answered ${ids.length} ids for ${messages.length} messages`);
  return ids;
}

// ---------------------------------------------------------------------------------------------
// Templates: plain text first (the outbox and tests read it), with a simple HTML twin.

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}


function layout(paragraphs: string[], code?: string): string {
  const body = paragraphs.map((p) => `<p style="margin:0 0 16px">${escapeHtml(p)}</p>`).join("");
  const codeBlock = code
    ? `<p style="margin:0 0 16px;font-size:28px;font-weight:bold;letter-spacing:6px;font-family:monospace">${escapeHtml(code)}</p>`
    : "";
  return `<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5;color:#111">${codeBlock}${body}</body></html>`;
}

function codeEmail(subject: string, intro: string, code: string, minutes: number, outro: string): RenderedEmail {
  const lines = [intro, `This code expires in ${minutes} minutes.`, outro];
  return {
    subject,
    text: `${intro}\n\n    ${code}\n\nThis code expires in ${minutes} minutes.\n\n${outro}\n`,
    html: layout(lines, code),
  };
}

/** The code that confirms a new account's email address. */
export function verificationCodeEmail(code: string, minutes: number): RenderedEmail {
  return codeEmail(
    `Your Pressroom verification code: ${code}`,
    "Enter this code to confirm your email address and finish creating your Pressroom account:",
    code,
    minutes,
    "If you didn't create an account, you can ignore this email.",
  );
}

/** The code that lets the account owner choose a new password. */
export function passwordResetCodeEmail(code: string, minutes: number): RenderedEmail {
  return codeEmail(
    `Your Pressroom password reset code: ${code}`,
    "Someone (hopefully you) asked to reset the password of your Pressroom account. Enter this code to choose a new one:",
    code,
    minutes,
    "If you didn't ask for this, ignore this email: your password stays as it is.",
  );
}

/** The one-time code for password-less sign-in. */
export function signInCodeEmail(code: string, minutes: number): RenderedEmail {
  return codeEmail(
    `Your Pressroom sign-in code: ${code}`,
    "Enter this code to sign in to Pressroom:",
    code,
    minutes,
    "If you didn't try to sign in, you can ignore this email; nobody can sign in without the code.",
  );
}

/**
 * Sent instead of a verification code when someone signs up with an address that already has an
 * account: sign-up answers the same either way, and only the owner of the address learns it.
 * `siteUrl` is the app's origin (SITE_URL).
 */
export function accountExistsEmail(siteUrl: string): RenderedEmail {
  const base = siteUrl.replace(/\/$/, "");
  const intro = "Someone (maybe you) just tried to create a Pressroom account with this email address, but you already have one.";
  const signIn = `To sign in: ${base}/login`;
  const reset = `Forgot your password? Choose a new one: ${base}/forgot-password`;
  const outro = "If it wasn't you, you can ignore this email: nothing about your account has changed.";
  return {
    subject: "You already have a Pressroom account",
    text: `${intro}\n\n${signIn}\n${reset}\n\n${outro}\n`,
    html: layout([intro, signIn, reset, outro]),
  };
}

/** An invitation to join a site (members.invite). `link` is the absolute accept URL. */
export function siteInvitationEmail(args: { siteName: string; inviterName: string; role: string; link: string }): RenderedEmail {
  const intro = `${args.inviterName} invited you to join ${args.siteName} on Pressroom as ${/^[aeiou]/i.test(args.role) ? "an" : "a"} ${args.role}.`;
  const action = "Open this link to accept the invitation:";
  return {
    subject: `You're invited to ${args.siteName} on Pressroom`,
    text: `${intro}\n\n${action}\n${args.link}\n\nIf you don't want to join, you can ignore this email.\n`,
    html: layout([intro, action]).replace(
      "</body>",
      `<p><a href="${escapeHtml(args.link)}">${escapeHtml(args.link)}</a></p><p>If you don't want to join, you can ignore this email.</p></body>`,
    ),
  };
}

/** The one-time code that confirms a reader's address when they join a publication (audience.join). */
export function audienceJoinCodeEmail(siteName: string, code: string, minutes: number): RenderedEmail {
  return codeEmail(
    `Your code to join ${siteName}: ${code}`,
    `Enter this code to confirm your email address and join ${siteName}:`,
    code,
    minutes,
    "If you didn't ask to join, you can ignore this email: nothing happens without the code.",
  );
}
