import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useLoaderData } from "@remix-run/react";
import { ConvexHttpClient } from "convex/browser";
import { serverEnv } from "../env.server";
import { internal } from "../../convex/_generated/api";
import { adminCallable, convexUrl, withAdminKey } from "../utils/convex.server";

// /dev/mailbox: the emails the backend would have sent (the `emails` outbox), for development
// and browser tests. It reads the internal query emails:devMailbox with the deployment's admin
// key (CONVEX_ADMIN_KEY).
//
// The rule: the page exists only when PRESSROOM_DEV_MAILBOX=1, an explicit development flag that
// `npm start`, `npm run dev` and the e2e stack set and `npm run serve` never does. Holding an admin
// key is not enough: everyone who can reach a server with the page on can read every email (sign-in
// codes included), so it must never be on for a server others can reach.

export const meta: MetaFunction = () => [{ title: "Dev mailbox · Pressroom" }, { name: "robots", content: "noindex" }];

function devMailboxEnabled(): boolean {
  return serverEnv.PRESSROOM_DEV_MAILBOX === "1";
}

export async function loader({ request }: LoaderFunctionArgs) {
  if (!devMailboxEnabled()) throw new Response("Not Found", { status: 404 });
  const adminKey = serverEnv.CONVEX_ADMIN_KEY;
  const to = new URL(request.url).searchParams.get("to")?.trim() || undefined;
  if (!adminKey) return { configured: false as const, to: to ?? "", emails: [] };
  const client = withAdminKey(new ConvexHttpClient(convexUrl()), adminKey);
  const emails = await client.query(adminCallable(internal.emails.devMailbox), { limit: 50, ...(to ? { to } : {}) });
  return { configured: true as const, to: to ?? "", emails };
}

export function headers() {
  return { "Cache-Control": "no-store", "X-Robots-Tag": "noindex" };
}

export default function DevMailbox() {
  const { configured, to, emails } = useLoaderData<typeof loader>();
  return (
    <main id="main" className="page">
      <h1>Dev mailbox</h1>
      <p className="lede">Emails the backend sent to its outbox (no email provider configured). Newest first.</p>
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
          {emails.length === 0 ? (
            <p data-testid="mailbox-empty">No emails{to ? ` to ${to}` : ""}.</p>
          ) : (
            <ol data-testid="mailbox" style={{ listStyle: "none", padding: 0 }}>
              {emails.map((e) => (
                <li key={e._id} data-testid="mailbox-email" data-to={e.to} data-kind={e.kind} style={{ borderTop: "1px solid", padding: "0.75rem 0" }}>
                  <p style={{ margin: 0 }}>
                    <strong data-testid="mailbox-subject">{e.subject}</strong>
                  </p>
                  <p style={{ margin: 0, color: "var(--muted)" }}>
                    To <span data-testid="mailbox-to">{e.to}</span> · {new Date(e.createdAt).toISOString()} · {e.kind}
                  </p>
                  <pre data-testid="mailbox-text" style={{ whiteSpace: "pre-wrap" }}>
                    {e.text}
                  </pre>
                </li>
              ))}
            </ol>
          )}
        </>
      )}
    </main>
  );
}
