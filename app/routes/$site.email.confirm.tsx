import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { useActionData, useLoaderData, useRouteError } from "@remix-run/react";
import { api } from "../../convex/_generated/api";
import { toUserError } from "../../convex/shared/errors";
import { FIELDS, fieldProps } from "../../convex/shared/fields";
import { requireSameOrigin } from "../auth/csrf.server";
import { formText } from "../auth/form-data.server";
import { Field, FormMessage, SubmitButton } from "../auth/forms";
import { joinErrorText } from "../reader/audience.server";
import { PageHeader, ReaderError } from "../reader/components";
import { CACHE_PRIVATE, readerHeaders } from "../reader/http.server";
import { requireSite } from "../reader/pages.server";
import { readerPaths } from "../reader/paths";
import { errorMeta, siteFromMatches, useSite } from "../reader/route-helpers";
import { convexClient } from "../utils/convex.server";

// /{site}/email/confirm: the join's second step. With ?email= (where the join route sends the
// reader) it asks for the emailed 6-digit code (api.audience.confirm); without, or with ?error=, it
// is the join form itself. Its action also takes a signed-in reader's one-click join
// (api.audience.joinSignedIn). Never cached: it echoes the address from the URL.

const NO_STORE = { "Cache-Control": CACHE_PRIVATE };

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { client } = await requireSite(request, params);
  const url = new URL(request.url);
  const email = (url.searchParams.get("email") ?? "").trim().slice(0, 320);
  const error = joinErrorText(url.searchParams.get("error"));
  return data({ email, error, signedIn: client.signedIn }, { headers: NO_STORE });
}

export const headers = readerHeaders;

type ActionData = { joined: true; email: string | null } | { joined: false; email: string; codeError?: string; formError?: string };

export async function action({ request, params }: ActionFunctionArgs) {
  requireSameOrigin(request);
  const { client, resolved } = await requireSite(request, params);
  const siteId = resolved.site._id;
  const form = await request.formData();
  const email = formText(form, "email");
  const reply = (body: ActionData, status = 200) => data(body, { status, headers: NO_STORE });
  if (formText(form, "intent") === "oneClick") {
    if (!client.signedIn) return reply({ joined: false, email, formError: "Sign in first, or join with your email address below." }, 400);
    try {
      await client.mutation(api.audience.joinSignedIn, { siteId });
    } catch (error) {
      return reply({ joined: false, email, formError: toUserError(error).message }, 400);
    }
    return reply({ joined: true, email: null });
  }
  const code = formText(form, "code", { max: 20 });
  if (!code) return reply({ joined: false, email, codeError: "Enter the 6-digit code from the email." }, 400);
  try {
    await convexClient().action(api.audience.confirm, { siteId, email, code });
  } catch (error) {
    const e = toUserError(error);
    return reply({ joined: false, email, codeError: e.code === "INVALID_CODE" ? e.message : undefined, formError: e.code === "INVALID_CODE" ? undefined : e.message }, 400);
  }
  return reply({ joined: true, email });
}

export default function ConfirmJoinPage() {
  const loaded = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionData | undefined;
  const site = useSite()!;
  const p = readerPaths(site.base);
  if (result?.joined) {
    return (
      <>
        <PageHeader kicker="Email" title="You're in" />
        <section className="notice" data-testid="joined" role="status">
          <p>
            You follow {site.name}
            {result.email ? ` as ${result.email}` : ""}: new posts will come to your inbox.
          </p>
          <p>
            <a href={p.home}>Read {site.name}</a>
          </p>
        </section>
      </>
    );
  }
  const email = result?.email || loaded.email;
  const formError = result?.formError ?? loaded.error ?? undefined;
  if (email && !loaded.error) {
    return (
      <>
        <PageHeader kicker="Email" title="Check your inbox">
          <p className="lede">
            We sent a 6-digit code to {email}. Enter it to follow {site.name}. It works for 15 minutes.
          </p>
        </PageHeader>
        <FormMessage error={formError} />
        <form method="post" data-testid="confirm-form">
          <input type="hidden" name="intent" value="confirm" />
          <input type="hidden" name="email" value={email} />
          <Field label="Code" name="code" inputMode="numeric" autoComplete="one-time-code" required error={result?.codeError} />
          <SubmitButton>Confirm</SubmitButton>
        </form>
        <form method="post" action={p.emailJoin} className="inline-form">
          <input type="hidden" name="email" value={email} />
          <p>
            No email? Check your spam folder, or <button type="submit" className="link-button">send a new code</button>.
          </p>
        </form>
      </>
    );
  }
  return (
    <>
      <PageHeader kicker="Email" title={`Get ${site.name} by email`}>
        <p className="lede">Free: new posts in your inbox. We'll email you a code to confirm the address; no password needed.</p>
      </PageHeader>
      <FormMessage error={formError} />
      <form method="post" action={p.emailJoin} data-testid="join-page-form">
        <Field label="Email address" name="email" type="email" autoComplete="email" required {...fieldProps(FIELDS.email)} defaultValue={email} />
        <Field label="Name (optional)" name="name" autoComplete="name" {...fieldProps(FIELDS.displayName)} />
        <SubmitButton>Join for free</SubmitButton>
      </form>
      {loaded.signedIn ? (
        <form method="post" className="inline-form">
          <input type="hidden" name="intent" value="oneClick" />
          <p>
            Signed in? <button type="submit" className="link-button">Follow with your account's address</button>
          </p>
        </form>
      ) : null}
    </>
  );
}

export const meta: MetaFunction<typeof loader> = ({ matches }) => {
  const site = siteFromMatches(matches);
  if (!site) return errorMeta(site);
  return [{ title: `Join · ${site.name}` }, { name: "robots", content: "noindex" }];
};

export function ErrorBoundary() {
  return <ReaderError site={useSite()} error={useRouteError()} />;
}
