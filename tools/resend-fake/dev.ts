import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { startResendFake, type FakeMessage, type ResendFake } from "./index.js";

// `npm start` / `npm run dev` wiring: run the Resend fake next to the local backend and point the
// backend's function environment at it, so every email (sign-in codes, invites, join codes, post
// sends) takes the production path convex/model/email.ts → Resend's HTTP API → here. A real key
// wins: with RESEND_API_KEY in the shell, or another key than the fake's set on the backend, no fake runs.

interface BackendLike {
  siteUrl: string;
  env: { all(): Record<string, string>; set(name: string, value: string | null): void };
}

/** The key the backend calls the fake with (a `re_` key, as Resend's are; the fake checks it). */
export const FAKE_API_KEY = "re_local_fake";
/** A dev fake keeps this many messages (newest), so a large send does not grow it without bound. */
export const DEV_MAX_MESSAGES = 5000;
/** On a clean stop the newest this many messages are saved to the data dir and shown again next start. */
export const DEV_SAVED_MESSAGES = 500;

export interface DevResendOptions {
  /** Preferred port (npm start: the app port + 12); a free one when it is taken. */
  port: number;
  host?: string;
  /** The shell's environment (RESEND_API_KEY, RESEND_API_URL, RESEND_WEBHOOK_SECRET). */
  shellEnv?: Record<string, string | undefined>;
  /** The backend's data dir: the mailbox is kept in `resend-fake/messages.json` there across restarts. */
  dataDir?: string;
}

const savedFile = (dataDir: string) => path.join(dataDir, "resend-fake", "messages.json");

/** The messages saved by the last clean stop; none when there is no file or it is unreadable. */
function loadSaved(dataDir: string | undefined): FakeMessage[] {
  if (!dataDir) return [];
  let text: string;
  try {
    text = readFileSync(savedFile(dataDir), "utf8");
  } catch {
    return [];
  }
  try {
    const saved = JSON.parse(text) as unknown;
    return Array.isArray(saved) ? (saved as FakeMessage[]).filter((m) => m && typeof m.id === "string" && Array.isArray(m.to)) : [];
  } catch {
    console.error(`[resend-fake] ignoring ${savedFile(dataDir)}: not JSON (the mailbox starts empty)`);
    return [];
  }
}

/** Writes the newest messages (temp file + rename, so a crash mid-write never leaves half a file). */
function save(dataDir: string, messages: FakeMessage[]) {
  const file = savedFile(dataDir);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, JSON.stringify(messages.slice(-DEV_SAVED_MESSAGES)));
  renameSync(`${file}.tmp`, file);
}

/**
 * Real Resend from the shell: copies RESEND_API_KEY (and RESEND_API_URL / RESEND_WEBHOOK_SECRET when
 * given) to the backend, dropping a fake's RESEND_API_URL left from an earlier run.
 * @returns whether a real key is configured (then no fake is started).
 */
function useRealResend(backend: BackendLike, shell: Record<string, string | undefined>): boolean {
  if (shell.RESEND_API_KEY) {
    backend.env.set("RESEND_API_KEY", shell.RESEND_API_KEY);
    backend.env.set("RESEND_API_URL", shell.RESEND_API_URL || null);
    if (shell.RESEND_WEBHOOK_SECRET) backend.env.set("RESEND_WEBHOOK_SECRET", shell.RESEND_WEBHOOK_SECRET);
    return true;
  }
  // Set on the backend (`local-backend env set`): real unless it is the fake's own key.
  const key = backend.env.all().RESEND_API_KEY;
  return Boolean(key && key !== FAKE_API_KEY);
}

/** A Svix-style endpoint secret: `whsec_` + base64 of 24 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString("base64")}`;
}

/** Listens on `port`, or on a free port when that one is taken. */
async function listen(opts: Parameters<typeof startResendFake>[0] & { port: number }): Promise<ResendFake> {
  try {
    return await startResendFake(opts);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EADDRINUSE" || opts.port === 0) throw e;
    return await startResendFake({ ...opts, port: 0 });
  }
}

/**
 * Starts the fake for a running backend and sets the backend's RESEND_API_KEY (`re_local_fake`),
 * RESEND_API_URL (the fake) and RESEND_WEBHOOK_SECRET (generated once, then kept in the data dir's
 * env). The fake's webhooks go to `${backend.siteUrl}/resend/webhook` (CONVEX_SITE_URL).
 * @returns the fake, or null when a real Resend key is configured.
 */
export async function startDevResendFake(backend: BackendLike, opts: DevResendOptions): Promise<ResendFake | null> {
  if (useRealResend(backend, opts.shellEnv ?? {})) return null;
  const webhookSecret = backend.env.all().RESEND_WEBHOOK_SECRET ?? newWebhookSecret();
  const fake = await listen({
    port: opts.port,
    host: opts.host,
    webhookUrl: `${backend.siteUrl}/resend/webhook`,
    webhookSecret,
    apiKey: FAKE_API_KEY,
    maxMessages: DEV_MAX_MESSAGES,
    initialMessages: loadSaved(opts.dataDir),
  });
  backend.env.set("RESEND_WEBHOOK_SECRET", webhookSecret);
  backend.env.set("RESEND_API_KEY", FAKE_API_KEY);
  backend.env.set("RESEND_API_URL", fake.url);
  const dataDir = opts.dataDir;
  if (!dataDir) return fake;
  return {
    ...fake,
    async close() {
      await fake.close();
      try {
        save(dataDir, fake.messages());
      } catch (e) {
        console.error(`[resend-fake] could not keep the mailbox: ${(e as Error).message}`);
      }
    },
  };
}
