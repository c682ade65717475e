// Browser tests read sign-in and reset codes from the dev mailbox (/dev/mailbox, on with
// PRESSROOM_DEV_MAILBOX=1 in the e2e stack), as a developer would.
import { expect, type BrowserContext, type Page } from "@playwright/test";

/** The newest 8-digit code emailed to `email` with a subject matching `subject`, read in a new tab. */
export async function codeFromMailbox(at: Page | BrowserContext, email: string, subject: RegExp = /verification code/): Promise<string> {
  const mailbox = await ("context" in at ? at.context() : at).newPage();
  try {
    await mailbox.goto(`/dev/mailbox?to=${encodeURIComponent(email)}`);
    const first = mailbox.getByTestId("mailbox-email").filter({ hasText: subject }).first();
    await expect(first).toBeVisible();
    const text = await first.getByTestId("mailbox-text").innerText();
    const code = /\b(\d{8})\b/.exec(text)?.[1];
    expect(code, `a code in: ${text}`).toBeTruthy();
    return code!;
  } finally {
    await mailbox.close();
  }
}
