/**
 * The Resend fake as `npm start` runs it (tools/resend-fake/dev.ts) against the app's convex/ on a
 * local backend: the env it sets and where its webhooks go, an email sent through the production
 * sender (internal emails:sendSiteInvite → convex/model/email.ts → HTTP) landing in the fake, signed
 * webhooks from the fake verified by the backend's /resend/webhook, and /dev/mailbox's loader and
 * view reading the fake.
 */
import { makeFunctionReference } from "convex/server";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { LocalBackend } from "../../local-backend/src/backend";
import * as mailboxRoute from "../../app/routes/dev.mailbox";
import { adminClient, keepProcessEnv, startAppBackend, stopAppBackend } from "../../tests/support/live-backend";
import { get, loader } from "../../tests/support/remix-app";
import { DEV_MAX_MESSAGES, DEV_SAVED_MESSAGES, FAKE_API_KEY, startDevResendFake } from "./dev";
import type { ResendFake } from "./index";

const sendSiteInvite = makeFunctionReference<"action">("emails:sendSiteInvite");
const latestFor = makeFunctionReference<"query">("emails:latestFor");
const suppression = makeFunctionReference<"query">("suppressions:get");

let backend: LocalBackend;
let fake: ResendFake | null = null;

beforeAll(async () => {
  backend = await startAppBackend("resend-dev-");
});
afterAll(async () => {
  await fake?.close();
  await stopAppBackend(backend);
});

/** Sends a site invitation to `to` through the backend's sender (the production path). */
async function invite(to: string, link = "https://app.example/invite/abc?x=1&y=2") {
  await adminClient(backend).action(sendSiteInvite, { to, siteName: "The Ledger", inviterName: "Ada", role: "editor", link });
}

/** Starts the dev fake (closing an earlier one) as npm start does, with an empty shell env. */
async function startDev(shellEnv: Record<string, string | undefined> = {}, port = 0) {
  await fake?.close();
  fake = await startDevResendFake(backend, { port, shellEnv });
  return fake;
}

describe("npm start's Resend fake wiring", () => {
  test("sets RESEND_API_KEY, RESEND_API_URL and a whsec_ secret kept across restarts; webhooks go to CONVEX_SITE_URL/resend/webhook", async () => {
    const first = (await startDev())!;
    const env = backend.env.all();
    expect(env.RESEND_API_KEY).toBe(FAKE_API_KEY);
    expect(env.RESEND_API_KEY).toMatch(/^re_/);
    expect(env.RESEND_API_URL).toBe(first.url);
    expect(env.RESEND_WEBHOOK_SECRET).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const target = await (await fetch(`${first.url}/_fake/webhook`, { method: "POST", body: "{}" })).json();
    expect(target).toEqual({ url: `${backend.siteUrl}/resend/webhook` });

    // A restart (the same data dir) keeps the secret and points the backend at the new fake.
    const secret = env.RESEND_WEBHOOK_SECRET;
    const second = (await startDev())!;
    expect(backend.env.all().RESEND_WEBHOOK_SECRET).toBe(secret);
    expect(backend.env.all().RESEND_API_URL).toBe(second.url);
  });

  test("a clean stop keeps the newest messages in the data dir and the next start shows them; an unreadable file starts empty", async () => {
    await fake?.close();
    fake = null;
    const dataDir = mkdtempSync(path.join(tmpdir(), "resend-dev-data-"));
    try {
      const first = (await startDevResendFake(backend, { port: 0, shellEnv: {}, dataDir }))!;
      await invite("kept@example.com");
      await first.close();
      const second = (await startDevResendFake(backend, { port: 0, shellEnv: {}, dataDir }))!;
      expect(second.messages("kept@example.com").map((m) => m.subject)).toEqual(["You're invited to The Ledger on Pressroom"]);
      await invite("kept@example.com");
      await second.close();
      const third = (await startDevResendFake(backend, { port: 0, shellEnv: {}, dataDir }))!;
      expect(third.messages("kept@example.com")).toHaveLength(2);
      await third.close();
      expect(DEV_SAVED_MESSAGES).toBeLessThanOrEqual(DEV_MAX_MESSAGES);

      mkdirSync(path.join(dataDir, "resend-fake"), { recursive: true });
      writeFileSync(path.join(dataDir, "resend-fake", "messages.json"), "{ not json");
      const fresh = (await startDevResendFake(backend, { port: 0, shellEnv: {}, dataDir }))!;
      expect(fresh.messages()).toEqual([]);
      await fresh.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test("a taken port falls back to a free one", async () => {
    const blocker = http.createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const taken = (blocker.address() as AddressInfo).port;
    try {
      const f = (await startDev({}, taken))!;
      expect(f.port).not.toBe(taken);
      expect(backend.env.all().RESEND_API_URL).toBe(f.url);
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  });

  test("with a real RESEND_API_KEY (shell or backend) no fake starts and the real settings stay", async () => {
    await fake?.close();
    fake = null;
    const before = backend.env.all();
    try {
      expect(await startDevResendFake(backend, { port: 0, shellEnv: { RESEND_API_KEY: "re_real_key_from_shell" } })).toBeNull();
      expect(backend.env.all().RESEND_API_KEY).toBe("re_real_key_from_shell");
      // The fake's URL from an earlier run would send real mail nowhere: it is dropped.
      expect(backend.env.all().RESEND_API_URL).toBeUndefined();
      // Set on the backend itself (`local-backend env set`), another key than the fake's is real too.
      expect(await startDevResendFake(backend, { port: 0, shellEnv: {} })).toBeNull();
      expect(backend.env.all().RESEND_API_KEY).toBe("re_real_key_from_shell");
    } finally {
      for (const name of ["RESEND_API_KEY", "RESEND_API_URL", "RESEND_WEBHOOK_SECRET"]) backend.env.set(name, before[name] ?? null);
    }
  });
});

describe("email through the fake", () => {
  test("an email sent by internal emails:sendSiteInvite reaches GET /_fake/messages; the outbox keeps only a body-less log line", async () => {
    const f = (await startDev())!;
    const to = "invitee@example.com";
    await invite(to);
    const { data } = await (await fetch(`${f.url}/_fake/messages?to=${to}`)).json();
    expect(data).toHaveLength(1);
    expect(data[0]).toMatchObject({ to: [to], subject: "You're invited to The Ledger on Pressroom" });
    expect(data[0].text).toContain("https://app.example/invite/abc?x=1&y=2");
    const log: any = await adminClient(backend).query(latestFor, { email: to, kind: "site-invite" });
    expect(log).toMatchObject({ provider: "resend", subject: "You're invited to The Ledger on Pressroom" });
    expect(log.text).not.toContain("invite/abc");
  });

  test("webhooks from the fake reach the backend and are verified: a bounce suppresses the address", async () => {
    const f = (await startDev())!;
    const to = "bounces@example.com";
    f.setBehaviour(to, "bounce");
    await invite(to);
    await f.flush();
    const events = f.deliveries();
    expect(events.map((d) => d.type)).toEqual(["email.sent", "email.bounced"]);
    expect(events.map((d) => d.status)).toEqual([200, 200]);
    expect(await adminClient(backend).query(suppression, { email: to })).toMatchObject({ email: to });
  });

  test("forged webhook: events signed with another secret are refused with 400 and suppress nothing", async () => {
    const f = (await startDev())!;
    f.setWebhook({ secret: `whsec_${Buffer.from("not the backend's secret").toString("base64")}` });
    const to = "forged-bounce@example.com";
    f.setBehaviour(to, "bounce");
    await invite(to);
    await f.flush();
    expect(f.deliveries().map((d) => d.status)).toEqual([400, 400]);
    expect(await adminClient(backend).query(suppression, { email: to })).toBeNull();
  });

  test("the fake keeps at most maxMessages (the dev cap) and ?limit= answers the newest", async () => {
    expect(DEV_MAX_MESSAGES).toBeGreaterThanOrEqual(1000);
    const { startResendFake } = await import("./index");
    const small = await startResendFake({ webhookSecret: "whsec_AAAA", maxMessages: 3 });
    try {
      for (let i = 1; i <= 5; i++) {
        const res = await fetch(`${small.url}/emails`, {
          method: "POST",
          headers: { Authorization: "Bearer re_x", "Content-Type": "application/json" },
          body: JSON.stringify({ from: "a@example.com", to: "b@example.com", subject: `n${i}`, text: "t" }),
        });
        expect(res.status).toBe(200);
      }
      expect(small.messages().map((m) => m.subject)).toEqual(["n3", "n4", "n5"]);
      const { data } = await (await fetch(`${small.url}/_fake/messages?limit=2`)).json();
      expect(data.map((m: any) => m.subject)).toEqual(["n4", "n5"]);
      expect((await fetch(`${small.url}/_fake/messages?limit=0`)).status).toBe(422);
    } finally {
      await small.close();
    }
  });
});

describe("/dev/mailbox reads the fake", () => {
  let restore: () => void;
  beforeAll(() => {
    restore = keepProcessEnv("PRESSROOM_DEV_MAILBOX", "RESEND_FAKE_URL", "CONVEX_ADMIN_KEY");
    process.env.PRESSROOM_DEV_MAILBOX = "1";
    delete process.env.CONVEX_ADMIN_KEY;
  });
  afterAll(() => restore());

  /** Posts one email straight to the fake, as the sender does (headers included). */
  async function post(f: ResendFake, body: Record<string, unknown>) {
    const res = await fetch(`${f.url}/emails`, {
      method: "POST",
      headers: { Authorization: `Bearer ${FAKE_API_KEY}`, "Content-Type": "application/json" },
      body: JSON.stringify({ from: "The Ledger <news@ledger.example>", ...body }),
    });
    expect(res.status).toBe(200);
  }

  test("newest first, filtered by ?to=, with from, headers, the text part, the HTML part and its links", async () => {
    const f = (await startDev())!;
    process.env.RESEND_FAKE_URL = f.url;
    const reader = "reader-mailbox@example.com";
    await invite(reader);
    await post(f, {
      to: reader,
      subject: "A new post",
      text: "Read it: https://app.example/the-ledger/a-post\nUnsubscribe: https://app.example/the-ledger/email/unsubscribe?token=t1",
      html: '<p><a href="https://app.example/the-ledger/subscribe?from=a-post&amp;x=1">Upgrade</a></p>',
      headers: { "List-Unsubscribe": "<https://backend.example/unsubscribe?token=t1>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" },
      reply_to: "editor@ledger.example",
    });
    await post(f, { to: "someone-else@example.com", subject: "Not for the reader", text: "x" });

    const box = await loader(mailboxRoute, get(`/dev/mailbox?to=${encodeURIComponent(reader)}`));
    expect(box.status).toBe(200);
    expect(box.data).toMatchObject({ configured: true, source: "resend-fake", problem: null, to: reader });
    const emails = box.data.emails as mailboxRoute.MailboxEmail[];
    expect(emails.map((e) => e.subject)).toEqual(["A new post", "You're invited to The Ledger on Pressroom"]);
    expect(emails[0]).toMatchObject({
      to: reader,
      from: "The Ledger <news@ledger.example>",
      headers: [
        ["Reply-To", "editor@ledger.example"],
        ["List-Unsubscribe", "<https://backend.example/unsubscribe?token=t1>"],
        ["List-Unsubscribe-Post", "List-Unsubscribe=One-Click"],
      ],
      links: [
        "https://app.example/the-ledger/subscribe?from=a-post&x=1",
        "https://app.example/the-ledger/a-post",
        "https://app.example/the-ledger/email/unsubscribe?token=t1",
      ],
    });
    expect(emails[1].html).toContain("invite/abc");

    const all = await loader(mailboxRoute, get("/dev/mailbox"));
    expect(all.data.emails.map((e: any) => e.subject)).toContain("Not for the reader");
  });

  test("an unreachable fake is a readable notice, not a 500; without the dev flag the page is 404", async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    process.env.RESEND_FAKE_URL = `http://127.0.0.1:${port}`;
    const box = await loader(mailboxRoute, get("/dev/mailbox"));
    expect(box.status).toBe(200);
    expect(box.data.problem).toMatch(/not answering/);
    expect(box.data.emails).toEqual([]);

    delete process.env.PRESSROOM_DEV_MAILBOX;
    try {
      expect((await loader(mailboxRoute, get("/dev/mailbox"))).status).toBe(404);
    } finally {
      process.env.PRESSROOM_DEV_MAILBOX = "1";
    }
  });

  test("XSS: a message whose subject, text and HTML carry <script> is shown escaped, its HTML only inside a sandboxed iframe, javascript: links dropped", async () => {
    const f = (await startDev())!;
    process.env.RESEND_FAKE_URL = f.url;
    const victim = "xss-mailbox@example.com";
    await post(f, {
      to: victim,
      subject: "<script>alert('subject')</script>",
      text: "<img src=x onerror=alert('text')>",
      html: "<p>Hi</p><script>parent.pwned = 1</script><a href=\"javascript:alert('href')\">click</a><a href='https://safe.example/u'>safe</a>",
      headers: { "X-Evil": "<script>alert('header')</script>" },
    });
    const box = await loader(mailboxRoute, get(`/dev/mailbox?to=${victim}`));
    const emails = box.data.emails as mailboxRoute.MailboxEmail[];
    expect(emails).toHaveLength(1);
    expect(emails[0].links).toEqual(["https://safe.example/u"]);

    const markup = renderToStaticMarkup(createElement(mailboxRoute.MailboxList, { emails }));
    // No live markup from the message anywhere on the page: only escaped text.
    expect(markup).not.toMatch(/<script/i);
    expect(markup).not.toMatch(/<img/i);
    expect(markup).not.toMatch(/<a\b[^>]*href="javascript:/i);
    expect(markup).toContain("&lt;script&gt;alert(&#x27;subject&#x27;)&lt;/script&gt;");
    expect(markup).toContain("&lt;img src=x onerror=alert(&#x27;text&#x27;)&gt;");
    expect(markup).toContain("&lt;script&gt;alert(&#x27;header&#x27;)&lt;/script&gt;");
    // The HTML part exists only as the srcdoc of one iframe with an empty sandbox (no scripts, no same-origin).
    const iframes = [...markup.matchAll(/<iframe\b[^>]*>/g)].map((m) => m[0]);
    expect(iframes).toHaveLength(1);
    expect(iframes[0]).toMatch(/\ssandbox=""/);
    expect(iframes[0]).toContain('srcDoc="&lt;p&gt;Hi&lt;/p&gt;&lt;script&gt;parent.pwned = 1&lt;/script&gt;');
    expect(markup.match(/parent\.pwned/g)).toHaveLength(1);
  });
});
