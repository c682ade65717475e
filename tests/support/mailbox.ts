// Browser tests read emails from the dev mailbox (/dev/mailbox, on with PRESSROOM_DEV_MAILBOX=1 in the
// e2e stack, where it shows what the Resend fake received), as a developer would.
import { expect, type BrowserContext, type Locator, type Page } from "@playwright/test";

type At = Page | BrowserContext;

/** Opens /dev/mailbox on `page`, filtered to `email`; returns its emails' locator (newest first). */
export async function openMailbox(page: Page, email: string): Promise<Locator> {
  await page.goto(`/dev/mailbox?to=${encodeURIComponent(email)}`);
  return page.getByTestId("mailbox-email");
}

/** Opens /dev/mailbox for `email` in a new tab and runs `read` on the newest email whose subject matches. */
async function readNewest<R>(at: At, email: string, subject: RegExp, read: (entry: Locator) => Promise<R>): Promise<R> {
  const mailbox = await ("context" in at ? at.context() : at).newPage();
  try {
    const first = (await openMailbox(mailbox, email)).filter({ hasText: subject }).first();
    await expect(first).toBeVisible();
    return await read(first);
  } finally {
    await mailbox.close();
  }
}

/**
 * The newest code emailed to `email` with a subject matching `subject`, read in a new tab: 8 digits
 * (sign-in codes) unless `digits` says otherwise (6 for a publication's join code).
 */
export async function codeFromMailbox(at: At, email: string, subject: RegExp = /verification code/, digits = 8): Promise<string> {
  return readNewest(at, email, subject, async (entry) => {
    const text = await entry.getByTestId("mailbox-text").innerText();
    const code = new RegExp(`\\b(\\d{${digits}})\\b`).exec(text)?.[1];
    expect(code, `a code in: ${text}`).toBeTruthy();
    return code!;
  });
}

/**
 * The links (absolute http(s) URLs, in order) of the newest email to `email` whose subject matches:
 * follow an unsubscribe or upgrade link with `page.goto(links.find(...))`.
 */
export async function linksFromMailbox(at: At, email: string, subject: RegExp): Promise<string[]> {
  return readNewest(at, email, subject, async (entry) => {
    const anchors = entry.getByTestId("mailbox-link");
    return (await anchors.evaluateAll((els) => els.map((a) => (a as HTMLAnchorElement).href))) as string[];
  });
}
