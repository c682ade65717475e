import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { useActionData, useLoaderData, useRouteError } from "@remix-run/react";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
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

// /{site}/email/preferences?token=…: the preferences link of every post email. Lists the site's
// newsletters with checkboxes (api.audience.preferences), saves them (api.audience.setPreferences:
// none = no email, some = subscribed again), and offers "unsubscribe from all". The signed token
// alone decides (no sign-in); a forged or altered one is a readable 400 page. Without a token, a
// signed-in member manages their own (api.audience.myPreferences / setMyPreferences: the join
// form's "manage email preferences" link).

type Prefs = typeof api.audience.preferences._returnType;

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { client, resolved } = await requireSite(request, params);
  const token = new URL(request.url).searchParams.get("token") ?? "";
  if (!token && client.signedIn) {
    const own: Prefs | null = await client.query(api.audience.myPreferences, { siteId: resolved.site._id });
    const error = own ? null : "You don't follow this publication yet.";
    return data({ token, prefs: own, error }, { status: own ? 200 : 404, headers: LINK_PAGE_HEADERS });
  }
  try {
    const prefs: Prefs = await convexClient().query(api.audience.preferences, { token });
    return data({ token, prefs, error: null }, { headers: LINK_PAGE_HEADERS });
  } catch (error) {
    return data({ token, prefs: null, error: toUserError(error).message }, { status: 400, headers: LINK_PAGE_HEADERS });
  }
}

export const headers = readerHeaders;

type ActionData = { saved: "choices" | "unsubscribed"; error?: undefined } | { saved?: undefined; error: string };

export async function action({ request, params }: ActionFunctionArgs) {
  requireSameOrigin(request);
  const { client, resolved } = await requireSite(request, params);
  const form = await request.formData();
  const token = formText(form, "token", { max: 1000 });
  const all = formText(form, "intent") === "unsubscribeAll";
  const newsletters = (all ? [] : form.getAll("newsletter").filter((v): v is string => typeof v === "string").slice(0, 100)) as Id<"newsletters">[];
  try {
    if (!token && client.signedIn) await client.mutation(api.audience.setMyPreferences, { siteId: resolved.site._id, newsletters });
    else await convexClient().mutation(api.audience.setPreferences, { token, newsletters });
  } catch (error) {
    // A malformed newsletter id fails Convex's validator: not a catalogue error, so say it plainly.
    const e = toUserError(error);
    return data<ActionData>({ error: e.code ? e.message : "Those choices couldn't be saved. Reload the page and try again." }, { status: 400, headers: LINK_PAGE_HEADERS });
  }
  return data<ActionData>({ saved: all || newsletters.length === 0 ? "unsubscribed" : "choices" }, { headers: LINK_PAGE_HEADERS });
}

const STATE_NOTES: Record<string, string> = {
  unsubscribed: "You're unsubscribed: you get no email. Choose newsletters and save to subscribe again.",
  bounced: "Emails to this address bounced, so we stopped sending. Fix the mailbox, then contact the publication.",
  complained: "This address marked one of our emails as spam, so we stopped sending.",
};

export default function PreferencesPage() {
  const { token, prefs, error } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionData | undefined;
  const site = useSite()!;
  const p = readerPaths(site.base);
  if (!prefs) {
    return (
      <>
        <PageHeader kicker="Email" title="Email preferences" />
        <div className="notice" role="alert" data-testid="link-error">
          <p>{error}</p>
          <p>
            <a href={p.home}>Read {site.name}</a>
          </p>
        </div>
      </>
    );
  }
  const note = STATE_NOTES[prefs.emailState];
  return (
    <>
      <PageHeader kicker="Email" title={`Email from ${site.name}`}>
        <p className="lede">Choose what comes to {prefs.email}.</p>
      </PageHeader>
      {result?.error ? (
        <div className="notice" role="alert" data-testid="preferences-error">
          <p>{result.error}</p>
        </div>
      ) : null}
      {result?.saved === "unsubscribed" ? (
        <div className="notice" role="status" data-testid="preferences-saved">
          <p>You won't get emails from {site.name}. You can still read the site.</p>
        </div>
      ) : result?.saved === "choices" ? (
        <div className="notice" role="status" data-testid="preferences-saved">
          <p>Saved.</p>
        </div>
      ) : null}
      {note && !result?.saved ? <p data-testid="email-state">{note}</p> : null}
      <form method="post" data-testid="preferences-form">
        <input type="hidden" name="token" value={token} />
        <fieldset className="join__newsletters">
          <legend>Newsletters</legend>
          {prefs.newsletters.length === 0 ? <p>{site.name} has no newsletters yet.</p> : null}
          {prefs.newsletters.map((n) => (
            <label key={n._id} className="join__choice">
              <input type="checkbox" name="newsletter" value={n._id} defaultChecked={n.subscribed} /> {n.name}
            </label>
          ))}
        </fieldset>
        <p className="join__actions">
          <button type="submit" name="intent" value="save" className="button">
            {prefs.emailState === "unsubscribed" ? "Subscribe again" : "Save"}
          </button>
          {prefs.emailState === "subscribed" ? (
            <button type="submit" name="intent" value="unsubscribeAll" className="button button--secondary">
              Unsubscribe from all
            </button>
          ) : null}
        </p>
      </form>
    </>
  );
}

export const meta: MetaFunction<typeof loader> = ({ matches }) => errorMeta(siteFromMatches(matches), "Email preferences");

export function ErrorBoundary() {
  return <ReaderError site={useSite()} error={useRouteError()} />;
}
