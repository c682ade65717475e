import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useLoaderData } from "@remix-run/react";
import { serverEnv } from "../env.server";
import { internal } from "../../convex/_generated/api";
import { adminCallable, convexClient, withAdminKey } from "../utils/convex.server";

// /dev/mailbox: what each recipient received, for development and browser tests. Under `npm start`
// (and the e2e stack) email goes through the production sender to the local Resend fake
// (tools/resend-fake), and this page reads the fake's GET /_fake/messages (RESEND_FAKE_URL). Without
// a fake it reads the backend's `emails` outbox (internal emails:devMailbox, with CONVEX_ADMIN_KEY).
//
// The rule: the page exists only when PRESSROOM_DEV_MAILBOX=1, an explicit development flag that
// `npm start`, `npm run dev` and the e2e stack set and `npm run serve` never does. Holding an admin
// key is not enough: everyone who can reach a server with the page on can read every email (sign-in
// codes included), so it must never be on for a server others can reach.
//
// Email HTML is someone else's markup (post bodies, names): it is shown only inside an
// <iframe sandbox=""> (no scripts, no same-origin, no forms, no top navigation); everything else is
// text that React escapes. Its http(s) links are also listed as plain anchors so tests can follow them.

export const meta: MetaFunction = () => [{ title: "Dev mailbox · Pressroom" }, { name: "robots", content: "noindex" }];

/** The newest this many emails are shown. */
const SHOWN = 50;
const MAX_LINKS = 50;

export interface MailboxEmail {
  id: string;
  to: string;
  from: string | null;
  subject: string;
  createdAt: number;
  /** The outbox's kind (verify-email, …); the fake has none. */
  kind: string | null;
  headers: Array<[string, string]>;
  text: string;
  html: string | null;
  /** The http(s) links of the HTML and text parts, in order, without repeats. */
  links: string[];
}

function devMailboxEnabled(): boolean {
  return serverEnv.PRESSROOM_DEV_MAILBOX === "1";
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** An attribute value as the browser reads it (the entities email HTML uses in hrefs). */
function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]+);/gi, (m, e: string) => {
    const lower = e.toLowerCase();
    const code = lower.startsWith("#x") ? parseInt(lower.slice(2), 16) : lower.startsWith("#") ? parseInt(lower.slice(1), 10) : NaN;
    if (!Number.isNaN(code)) return code <= 0x10ffff ? String.fromCodePoint(code) : m;
    return ENTITIES[lower] ?? m;
  });
}

/** Absolute http(s) URLs only: a `javascript:` href must never become a clickable anchor here. */
function httpUrl(raw: string): string | null {
  try {
    const url = new URL(raw.trim());
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

/** The links a reader could follow: hrefs of the HTML part, then URLs in the text part. */
export function linksOf(html: string | null, text: string): string[] {
  const found: string[] = [];
  for (const m of (html ?? "").matchAll(/\shref\s*=\s*(?:"([^"]*)"|'([^']*)')/gi)) found.push(decodeEntities(m[1] ?? m[2] ?? ""));
  for (const m of text.matchAll(/https?:\/\/[^\s<>"'()[\]]+/g)) found.push(m[0].replace(/[.,;:!?]+$/, ""));
  const out: string[] = [];
  for (const raw of found) {
    const url = httpUrl(raw);
    if (url && !out.includes(url)) out.push(url);
    if (out.length === MAX_LINKS) break;
  }
  return out;
}

const str = (x: unknown): string => (typeof x === "string" ? x : "");

/** One message of the fake's GET /_fake/messages, as the page shows it. */
function fromFakeMessage(m: Record<string, unknown>): MailboxEmail {
  const text = str(m.text);
  const html = typeof m.html === "string" ? m.html : null;
  const headers = m.headers && typeof m.headers === "object" ? Object.entries(m.headers as Record<string, unknown>) : [];
  // Resend takes the reply-to address as a field of its own; shown with the headers it becomes.
  if (Array.isArray(m.reply_to) && m.reply_to.length > 0) headers.unshift(["Reply-To", m.reply_to.map(str).join(", ")]);
  return {
    id: str(m.id),
    to: Array.isArray(m.to) ? m.to.map(str).join(", ") : str(m.to),
    from: str(m.from) || null,
    subject: str(m.subject),
    createdAt: Date.parse(str(m.created_at)) || 0,
    kind: null,
    headers: headers.map(([name, value]) => [name, str(value)]),
    text,
    html,
    links: linksOf(html, text),
  };
}

/** The newest messages the fake accepted, newest first; an unreachable fake is reported, not thrown. */
async function fakeMessages(fakeUrl: string, to: string | undefined): Promise<{ emails: MailboxEmail[]; problem: string | null }> {
  const url = new URL("/_fake/messages", fakeUrl);
  url.searchParams.set("limit", String(SHOWN));
  if (to) url.searchParams.set("to", to);
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return { emails: [], problem: `The Resend fake at ${fakeUrl} answered ${res.status}.` };
    const list: unknown = ((await res.json()) as Record<string, unknown> | null)?.data;
    const data = Array.isArray(list) ? (list as Array<Record<string, unknown>>) : [];
    return { emails: data.map(fromFakeMessage).reverse(), problem: null };
  } catch {
    return { emails: [], problem: `The Resend fake at ${fakeUrl} is not answering (is npm start still running?).` };
  }
}

export async function loader({ request }: LoaderFunctionArgs) {
  if (!devMailboxEnabled()) throw new Response("Not Found", { status: 404 });
  const to = new URL(request.url).searchParams.get("to")?.trim() || undefined;
  const fakeUrl = serverEnv.RESEND_FAKE_URL;
  if (fakeUrl) {
    const { emails, problem } = await fakeMessages(fakeUrl, to);
    return { configured: true as const, source: "resend-fake" as const, problem, to: to ?? "", emails };
  }
  const adminKey = serverEnv.CONVEX_ADMIN_KEY;
  if (!adminKey) return { configured: false as const, source: null, problem: null, to: to ?? "", emails: [] as MailboxEmail[] };
  const client = withAdminKey(convexClient(), adminKey);
  const rows = await client.query(adminCallable(internal.emails.devMailbox), { limit: SHOWN, ...(to ? { to } : {}) });
  const emails: MailboxEmail[] = rows.map((e) => ({
    id: e._id,
    to: e.to,
    from: null,
    subject: e.subject,
    createdAt: e.createdAt,
    kind: e.kind,
    headers: [],
    text: e.text,
    html: e.html,
    links: linksOf(e.html, e.text),
  }));
  return { configured: true as const, source: "outbox" as const, problem: null, to: to ?? "", emails };
}

export function headers() {
  return { "Cache-Control": "no-store", "X-Robots-Tag": "noindex" };
}

/** One email: addresses, subject and headers as text, the text part, the HTML part sandboxed, its links. */
function MailboxMessage({ email: e }: { email: MailboxEmail }) {
  return (
    <li data-testid="mailbox-email" data-to={e.to} data-kind={e.kind ?? undefined} style={{ borderTop: "1px solid", padding: "0.75rem 0" }}>
      <p style={{ margin: 0 }}>
        <strong data-testid="mailbox-subject">{e.subject}</strong>
      </p>
      <p style={{ margin: 0, color: "var(--muted)" }}>
        To <span data-testid="mailbox-to">{e.to}</span>
        {e.from ? (
          <>
            {" "}
            · from <span data-testid="mailbox-from">{e.from}</span>
          </>
        ) : null}{" "}
        · {new Date(e.createdAt).toISOString()}
        {e.kind ? ` · ${e.kind}` : null}
      </p>
      {e.headers.length > 0 ? (
        <dl data-testid="mailbox-headers" style={{ margin: "0.5rem 0", fontFamily: "monospace", fontSize: "0.85em" }}>
          {e.headers.map(([name, value]) => (
            <div key={name} data-testid="mailbox-header" data-name={name}>
              <dt style={{ display: "inline" }}>{name}:</dt> <dd style={{ display: "inline", margin: 0, wordBreak: "break-all" }}>{value}</dd>
            </div>
          ))}
        </dl>
      ) : null}
      <pre data-testid="mailbox-text" style={{ whiteSpace: "pre-wrap" }}>
        {e.text}
      </pre>
      {e.html !== null ? (
        <details open>
          <summary>HTML part</summary>
          {/* sandbox="": no scripts, no same-origin access, no forms, no navigation of this page. */}
          <iframe
            data-testid="mailbox-html"
            title={`HTML part: ${e.subject}`}
            sandbox=""
            referrerPolicy="no-referrer"
            srcDoc={e.html}
            style={{ width: "100%", height: "32rem", border: "1px solid", background: "#fff" }}
          />
        </details>
      ) : null}
      {e.links.length > 0 ? (
        <ul data-testid="mailbox-links" style={{ margin: "0.5rem 0", fontSize: "0.9em", wordBreak: "break-all" }}>
          {e.links.map((href) => (
            <li key={href}>
              <a data-testid="mailbox-link" href={href} rel="noreferrer">
                {href}
              </a>
            </li>
          ))}
        </ul>
      ) : null}
    </li>
  );
}

/** The list of emails (exported for the route's render test). */
export function MailboxList({ emails }: { emails: MailboxEmail[] }) {
  return (
    <ol data-testid="mailbox" style={{ listStyle: "none", padding: 0 }}>
      {emails.map((e) => (
        <MailboxMessage key={e.id} email={e} />
      ))}
    </ol>
  );
}

export default function DevMailbox() {
  const { configured, source, problem, to, emails } = useLoaderData<typeof loader>();
  return (
    <main id="main" className="page">
      <h1>Dev mailbox</h1>
      <p className="lede">
        {source === "resend-fake"
          ? "What each recipient received from the local Resend fake (no real email is sent). Newest first."
          : "Emails the backend sent to its outbox (no email provider configured). Newest first."}
      </p>
      {!configured ? (
        <p role="status">
          Set <code>CONVEX_ADMIN_KEY</code> (the local backend's admin key: <code>npm run local-backend admin-key</code>) to
          read the outbox.
        </p>
      ) : (
        <>
          <Form method="get">
            <label htmlFor="mailbox-to">To</label> <input id="mailbox-to" name="to" type="email" defaultValue={to} />{" "}
            <button type="submit">Filter</button>
          </Form>
          {problem ? <p role="alert">{problem}</p> : null}
          {emails.length === 0 ? <p data-testid="mailbox-empty">No emails{to ? ` to ${to}` : ""}.</p> : <MailboxList emails={emails} />}
        </>
      )}
    </main>
  );
}
