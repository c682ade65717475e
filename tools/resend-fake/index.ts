import { createHash, createHmac, randomBytes, randomUUID } from "node:crypto";
import type http from "node:http";
import { serveFake } from "../fake-server.js";

// A small Resend stand-in for development and tests: POST /emails and POST /emails/batch as Resend
// answers them (Bearer re_… key, Idempotency-Key, 422 validation errors), every message kept for
// tests and the dev mailbox (GET /_fake/messages), per-address behaviour (deliver, bounce, complain,
// fail N times), and Svix-signed webhooks (email.sent, email.delivered, email.bounced,
// email.complained) to the app. README.md lists the API.

export type Behaviour = "deliver" | "bounce" | "complain" | "fail";

export interface FakeMessage {
  id: string;
  from: string;
  to: string[];
  subject: string;
  html?: string;
  text?: string;
  reply_to?: string[];
  headers: Record<string, string>;
  tags: Array<{ name: string; value: string }>;
  created_at: string;
}

export interface WebhookDelivery {
  svixId: string;
  type: string;
  emailId: string;
  /** HTTP status of the delivery, or 0 when the endpoint could not be reached. */
  status: number;
}

export interface ResendFakeOptions {
  port?: number;
  host?: string;
  /** Where events are POSTed, e.g. `${CONVEX_SITE_URL}/resend/webhook`. Can be set later. */
  webhookUrl?: string;
  /** The endpoint's signing secret, `whsec_<base64>` (the app's RESEND_WEBHOOK_SECRET). */
  webhookSecret: string;
  /** When set, calls must use this key; otherwise any `re_…` key is accepted. */
  apiKey?: string;
  /**
   * Keeps only the newest N messages (and N webhook records), so a long-running dev fake does not
   * grow without bound during a large send. Default: all.
   */
  maxMessages?: number;
  /** Messages kept from an earlier run (dev.ts restores them): listed again, no webhooks sent. */
  initialMessages?: FakeMessage[];
}

export interface ResendFake {
  url: string;
  port: number;
  /** Every message accepted, oldest first (optionally to one address). */
  messages(to?: string): FakeMessage[];
  /** Every webhook delivery attempted, oldest first. */
  deliveries(): WebhookDelivery[];
  /** Sets what happens to mail for an address; `fail` answers `status` (500 or 429) `attempts` times. */
  setBehaviour(email: string, behaviour: Behaviour, opts?: { attempts?: number; status?: 500 | 429 }): void;
  setWebhook(opts: { url?: string; secret?: string }): void;
  /** Svix headers for a payload (real wall-clock timestamp unless given). */
  sign(id: string, payload: string, opts?: { secret?: string; timestamp?: number }): Record<string, string>;
  /** Waits until every webhook queued so far was delivered (or failed). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Resend's error body: `{ statusCode, name, message }`. */
class FakeResendError extends Error {
  constructor(
    readonly status: number,
    readonly name: string,
    message: string,
  ) {
    super(message);
  }
  body() {
    return { statusCode: this.status, name: this.name, message: this.message };
  }
}

const MAX_BATCH = 100;
const MAX_RECIPIENTS = 50;
const MAX_BODY = 5 * 1024 * 1024;
const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

/** The Svix headers Resend sends: v1 = base64 HMAC-SHA256 of "id.timestamp.body", keyed with the secret's base64 part. */
export function svixHeaders(id: string, payload: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  const key = Buffer.from(secret.startsWith("whsec_") ? secret.slice(6) : secret, "base64");
  const sig = createHmac("sha256", key).update(`${id}.${timestamp}.${payload}`).digest("base64");
  return { "svix-id": id, "svix-timestamp": String(timestamp), "svix-signature": `v1,${sig}` };
}

/** The bare address of "Name <a@b>" or "a@b", lowercased. */
function address(s: string): string {
  return (s.match(/<([^>]+)>\s*$/)?.[1] ?? s).trim().toLowerCase();
}

function strList(x: unknown, field: string): string[] | undefined {
  if (x === undefined || x === null) return undefined;
  const list = typeof x === "string" ? [x] : Array.isArray(x) && x.every((s) => typeof s === "string") ? (x as string[]) : null;
  if (!list) throw new FakeResendError(422, "validation_error", `The \`${field}\` field must be a string or an array of strings.`);
  return list;
}

/** Checks one email the way Resend's API does (the fields Pressroom sends). */
function validate(raw: unknown): Omit<FakeMessage, "id" | "created_at"> {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new FakeResendError(422, "validation_error", "Each email must be an object.");
  const m = raw as Record<string, unknown>;
  for (const field of ["from", "to", "subject"]) {
    if (m[field] === undefined || m[field] === null || m[field] === "") throw new FakeResendError(422, "missing_required_field", `Missing \`${field}\` field.`);
  }
  if (typeof m.from !== "string" || !EMAIL.test(address(m.from))) {
    throw new FakeResendError(422, "validation_error", "Invalid `from` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.");
  }
  const to = strList(m.to, "to")!;
  if (to.length === 0 || to.length > MAX_RECIPIENTS) throw new FakeResendError(422, "validation_error", `The \`to\` field must have 1 to ${MAX_RECIPIENTS} addresses.`);
  for (const t of to) if (!EMAIL.test(address(t))) throw new FakeResendError(422, "validation_error", `Invalid \`to\` field. \`${t}\` is not a valid email address.`);
  if (typeof m.subject !== "string") throw new FakeResendError(422, "validation_error", "The `subject` field must be a string.");
  if (m.html !== undefined && typeof m.html !== "string") throw new FakeResendError(422, "validation_error", "The `html` field must be a string.");
  if (m.text !== undefined && typeof m.text !== "string") throw new FakeResendError(422, "validation_error", "The `text` field must be a string.");
  if (m.html === undefined && m.text === undefined) throw new FakeResendError(422, "validation_error", "Missing `html` or `text` field.");
  const headers = m.headers ?? {};
  if (typeof headers !== "object" || Array.isArray(headers) || Object.values(headers).some((v) => typeof v !== "string")) {
    throw new FakeResendError(422, "validation_error", "The `headers` field must be an object of strings.");
  }
  const tags = m.tags ?? [];
  if (!Array.isArray(tags) || tags.some((t) => !t || typeof t.name !== "string" || typeof t.value !== "string" || !/^[A-Za-z0-9_-]{1,256}$/.test(t.name) || !/^[A-Za-z0-9_-]{0,256}$/.test(t.value))) {
    throw new FakeResendError(422, "validation_error", "Tags must be `{ name, value }` of ASCII letters, numbers, underscores or dashes.");
  }
  const reply = strList(m.reply_to, "reply_to");
  return {
    from: m.from,
    to,
    subject: m.subject,
    ...(m.html !== undefined ? { html: m.html as string } : {}),
    ...(m.text !== undefined ? { text: m.text as string } : {}),
    ...(reply ? { reply_to: reply } : {}),
    headers: headers as Record<string, string>,
    tags: tags as FakeMessage["tags"],
  };
}

function json(res: http.ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
}

/** Starts the fake on 127.0.0.1 (a free port unless given). */
export async function startResendFake(options: ResendFakeOptions): Promise<ResendFake> {
  const messages: FakeMessage[] = [...(options.initialMessages ?? [])];
  const deliveries: WebhookDelivery[] = [];
  const behaviours = new Map<string, { behaviour: Behaviour; attempts: number; status: 500 | 429 }>();
  /** Idempotency-Key → the first request's body hash and response (24 h in Resend; the fake's lifetime here). */
  const idempotent = new Map<string, { hash: string; status: number; body: unknown } | "pending">();
  let webhookUrl = options.webhookUrl;
  let webhookSecret = options.webhookSecret;
  let queue: Promise<void> = Promise.resolve();
  /** Set by close(): webhooks queued but not started are dropped (a big send can leave 100,000s). */
  let closing = false;
  const cap = options.maxMessages ?? Infinity;
  const trim = <T>(list: T[]) => {
    if (list.length > cap) list.splice(0, list.length - cap);
  };
  trim(messages);

  function enqueueEvent(type: string, msg: FakeMessage, to: string[], extra: Record<string, unknown> = {}) {
    const svixId = `msg_${randomBytes(12).toString("hex")}`;
    const now = new Date().toISOString();
    const payload = JSON.stringify({
      type,
      created_at: now,
      data: { created_at: msg.created_at, email_id: msg.id, from: msg.from, to, subject: msg.subject, tags: msg.tags, ...extra },
    });
    queue = queue.then(async () => {
      if (closing) return;
      let status = 0;
      if (webhookUrl) {
        try {
          const res = await fetch(webhookUrl, { method: "POST", headers: { "Content-Type": "application/json", ...svixHeaders(svixId, payload, webhookSecret) }, body: payload });
          status = res.status;
          await res.arrayBuffer();
        } catch {
          status = 0;
        }
      }
      deliveries.push({ svixId, type, emailId: msg.id, status });
      trim(deliveries);
    });
  }

  /** What the mail servers do with a sent message: one event stream per recipient behaviour. */
  function afterSend(msg: FakeMessage) {
    enqueueEvent("email.sent", msg, msg.to);
    for (const to of msg.to) {
      const b = behaviours.get(address(to))?.behaviour ?? "deliver";
      if (b === "bounce") {
        enqueueEvent("email.bounced", msg, [to], {
          bounce: { type: "Permanent", subType: "General", message: "The recipient's email provider sent a hard bounce message." },
        });
      } else {
        enqueueEvent("email.delivered", msg, [to]);
        if (b === "complain") enqueueEvent("email.complained", msg, [to]);
      }
    }
  }

  /** A transient failure owed by any recipient of these emails (the call fails as a whole, as a batch does). */
  function owedFailure(emails: Array<{ to: string[] }>): FakeResendError | null {
    for (const e of emails) {
      for (const to of e.to) {
        const b = behaviours.get(address(to));
        if (b?.behaviour === "fail" && b.attempts > 0) {
          b.attempts--;
          return b.status === 429
            ? new FakeResendError(429, "rate_limit_exceeded", "Too many requests. You can only make 2 requests per second.")
            : new FakeResendError(500, "application_error", "An unexpected error occurred.");
        }
      }
    }
    return null;
  }

  function accept(e: Omit<FakeMessage, "id" | "created_at">): FakeMessage {
    const msg: FakeMessage = { id: randomUUID(), created_at: new Date().toISOString(), ...e };
    messages.push(msg);
    trim(messages);
    afterSend(msg);
    return msg;
  }

  /** POST /emails and /emails/batch. @returns [status, body] */
  function send(path: string, body: unknown): [number, unknown] {
    if (path === "/emails") {
      const e = validate(body);
      const failure = owedFailure([e]);
      if (failure) throw failure;
      return [200, { id: accept(e).id }];
    }
    if (!Array.isArray(body)) throw new FakeResendError(422, "validation_error", "The batch must be an array of emails.");
    if (body.length === 0 || body.length > MAX_BATCH) throw new FakeResendError(422, "validation_error", `A batch holds 1 to ${MAX_BATCH} emails.`);
    const emails = body.map(validate); // all or nothing: one invalid email refuses the batch
    const failure = owedFailure(emails);
    if (failure) throw failure;
    return [200, { data: emails.map((e) => ({ id: accept(e).id })) }];
  }

  function control(method: string, url: URL, body: any): unknown {
    if (method === "GET" && url.pathname === "/_fake/messages") {
      const to = url.searchParams.get("to");
      const found = to ? messages.filter((m) => m.to.some((t) => address(t) === address(to))) : messages;
      const limitParam = url.searchParams.get("limit");
      if (limitParam === null) return { data: found };
      const limit = Number(limitParam);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new FakeResendError(422, "validation_error", "`limit` must be an integer from 1 to 1000.");
      return { data: found.slice(-limit) };
    }
    if (method === "GET" && url.pathname === "/_fake/events") return { data: deliveries };
    if (method === "POST" && url.pathname === "/_fake/behaviour") {
      const email = typeof body?.email === "string" ? address(body.email) : "";
      if (!EMAIL.test(email)) throw new FakeResendError(422, "validation_error", "`email` must be an email address.");
      const behaviour = body.behaviour;
      if (!["deliver", "bounce", "complain", "fail"].includes(behaviour)) throw new FakeResendError(422, "validation_error", "`behaviour` must be deliver, bounce, complain or fail.");
      const attempts = body.attempts ?? 1;
      if (!Number.isInteger(attempts) || attempts < 0 || attempts > 1000) throw new FakeResendError(422, "validation_error", "`attempts` must be an integer from 0 to 1000.");
      const status = body.status ?? 500;
      if (status !== 500 && status !== 429) throw new FakeResendError(422, "validation_error", "`status` must be 500 or 429.");
      behaviours.set(email, { behaviour, attempts, status });
      return { email, behaviour, attempts };
    }
    if (method === "POST" && url.pathname === "/_fake/webhook") {
      if (body?.url !== undefined) webhookUrl = String(body.url);
      if (body?.secret !== undefined) webhookSecret = String(body.secret);
      return { url: webhookUrl ?? null };
    }
    throw new FakeResendError(404, "not_found", `Nothing at ${method} ${url.pathname}.`);
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? "/", "http://fake");
    const method = req.method ?? "GET";
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > MAX_BODY) return json(res, 413, new FakeResendError(413, "validation_error", "Request body too large.").body());
      chunks.push(c);
    }
    const text = Buffer.concat(chunks).toString("utf8");
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      return json(res, 400, new FakeResendError(400, "validation_error", "The request body is not valid JSON.").body());
    }

    if (url.pathname.startsWith("/_fake/")) {
      try {
        return json(res, 200, control(method, url, body));
      } catch (e) {
        if (e instanceof FakeResendError) return json(res, e.status, e.body());
        throw e;
      }
    }
    const path = url.pathname.replace(/\/+$/, "");
    if (path !== "/emails" && path !== "/emails/batch") return json(res, 404, new FakeResendError(404, "not_found", "The requested endpoint does not exist.").body());
    if (method !== "POST") return json(res, 405, new FakeResendError(405, "method_not_allowed", "Method is not allowed for the requested path.").body());

    const auth = req.headers.authorization ?? "";
    const key = auth.startsWith("Bearer ") ? auth.slice(7).trim() : "";
    if (!key) return json(res, 401, new FakeResendError(401, "missing_api_key", "Missing API key in the authorization header.").body());
    if (!key.startsWith("re_") || (options.apiKey !== undefined && key !== options.apiKey)) {
      return json(res, 403, new FakeResendError(403, "invalid_api_key", "API key is invalid.").body());
    }

    const idemHeader = req.headers["idempotency-key"];
    const idemKey = typeof idemHeader === "string" ? idemHeader : undefined;
    if (idemKey !== undefined && (idemKey.length < 1 || idemKey.length > 256)) {
      return json(res, 400, new FakeResendError(400, "invalid_idempotency_key", "The key must be between 1-256 chars.").body());
    }
    const cacheKey = idemKey !== undefined ? `${key} ${path} ${idemKey}` : null;
    const hash = createHash("sha256").update(text).digest("hex");
    if (cacheKey) {
      const seen = idempotent.get(cacheKey);
      if (seen === "pending") return json(res, 409, new FakeResendError(409, "concurrent_idempotent_requests", "Same idempotency key used while original request is still in progress.").body());
      if (seen && seen.hash !== hash) return json(res, 409, new FakeResendError(409, "invalid_idempotent_request", "Same idempotency key used with a different request payload.").body());
      if (seen) return json(res, seen.status, seen.body);
      idempotent.set(cacheKey, "pending");
    }
    let status: number;
    let out: unknown;
    try {
      [status, out] = send(path, body);
    } catch (e) {
      if (cacheKey) idempotent.delete(cacheKey);
      if (e instanceof FakeResendError) return json(res, e.status, e.body());
      throw e;
    }
    // Only successes are kept: a refused or failed request may be retried with the same key.
    if (cacheKey) idempotent.set(cacheKey, { hash, status, body: out });
    return json(res, status, out);
  }

  const server = await serveFake(
    "resend-fake",
    handle,
    (res, e) => json(res, 500, new FakeResendError(500, "application_error", e.message).body()),
    options,
  );
  const { host, port } = server;

  return {
    url: `http://${host}:${port}`,
    port,
    messages: (to) => (to ? messages.filter((m) => m.to.some((t) => address(t) === address(to))) : [...messages]),
    deliveries: () => [...deliveries],
    setBehaviour(email, behaviour, opts = {}) {
      behaviours.set(address(email), { behaviour, attempts: opts.attempts ?? 1, status: opts.status ?? 500 });
    },
    setWebhook({ url, secret }) {
      if (url !== undefined) webhookUrl = url;
      if (secret !== undefined) webhookSecret = secret;
    },
    sign: (id, payload, opts = {}) => svixHeaders(id, payload, opts.secret ?? webhookSecret, opts.timestamp),
    flush: async () => {
      // Deliveries queued while waiting are waited for too.
      for (let q = queue; ; q = queue) {
        await q;
        if (q === queue) return;
      }
    },
    async close() {
      closing = true;
      await queue;
      await server.close();
    },
  };
}
