import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { useActionData, useLoaderData, useRouteError } from "@remix-run/react";
import { api } from "../../convex/_generated/api";
import { toUserError } from "../../convex/shared/errors";
import { requireSameOrigin } from "../auth/csrf.server";
import { formText } from "../auth/form-data.server";
import { LINK_PAGE_HEADERS } from "../reader/audience.server";
import { PageHeader, ReaderError } from "../reader/components";
import { readerHeaders } from "../reader/http.server";
import { requireSite } from "../reader/pages.server";
import { readerPaths } from "../reader/paths";
import { errorMeta, siteFromMatches, useSite } from "../reader/route-helpers";
import { convexClient } from "../utils/convex.server";

// /{site}/email/unsubscribe?token=…: the visible unsubscribe link of every post email. GET only
// shows one button (link scanners and previews follow GETs: they must not unsubscribe anyone); the
// POST runs api.audience.unsubscribe with the signed token, no sign-in. The page never shows the
// address (anyone holding the link sees it). A forged or altered token is a readable 400.

export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireSite(request, params);
  const token = new URL(request.url).searchParams.get("token") ?? "";
  return data({ token }, { status: token ? 200 : 400, headers: LINK_PAGE_HEADERS });
}

export const headers = readerHeaders;

type ActionData = { done: true } | { done: false; error: string };

export async function action({ request, params }: ActionFunctionArgs) {
  requireSameOrigin(request);
  await requireSite(request, params);
  const token = formText(await request.formData(), "token", { max: 1000 });
  try {
    // No identity: the link alone decides (convex/lib/memberTokens.ts).
    await convexClient().mutation(api.audience.unsubscribe, { token });
  } catch (error) {
    return data<ActionData>({ done: false, error: toUserError(error).message }, { status: 400, headers: LINK_PAGE_HEADERS });
  }
  return data<ActionData>({ done: true }, { headers: LINK_PAGE_HEADERS });
}

export default function UnsubscribePage() {
  const { token } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const site = useSite()!;
  const p = readerPaths(site.base);
  if (result?.done) {
    return (
      <>
        <PageHeader kicker="Email" title="You're unsubscribed" />
        <section className="notice" data-testid="unsubscribed" role="status">
          <p>You won't get emails from {site.name}. You can still read the site.</p>
          <p>
            Changed your mind? <a href={p.emailConfirm()}>Join again</a>, or choose newsletters with the preferences link in any of our
            emails.
          </p>
          <p>
            <a href={p.home}>Read {site.name}</a>
          </p>
        </section>
      </>
    );
  }
  const error = result && !result.done ? result.error : token ? null : "This link is not complete. Use the unsubscribe link from one of our emails.";
  return (
    <>
      <PageHeader kicker="Email" title={`Unsubscribe from ${site.name}`} />
      {error ? (
        <div className="notice" role="alert" data-testid="link-error">
          <p>{error}</p>
        </div>
      ) : (
        <form method="post" data-testid="unsubscribe-form">
          <input type="hidden" name="token" value={token} />
          <p>Stop all email from {site.name}? You keep access to the site and anything you pay for.</p>
          <button type="submit" className="button">
            Unsubscribe
          </button>
        </form>
      )}
    </>
  );
}

export const meta: MetaFunction<typeof loader> = ({ matches }) => {
  const site = siteFromMatches(matches);
  return errorMeta(site, "Unsubscribe");
};

export function ErrorBoundary() {
  return <ReaderError site={useSite()} error={useRouteError()} />;
}
