import { data, redirect, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { api } from "../../convex/_generated/api";
import { requireSameOrigin } from "../auth/csrf.server";
import { requireUser } from "../auth/session.server";
import { FormMessage } from "../studio/components";
import { errorCode, formErrorsFrom } from "../studio/errors";
import { privateHeaders } from "../studio/studio.server";
import studioStyles from "../styles/studio.css?url";

// /studio/invites/:token: the invited person accepts (members:accept). Only the invited address
// can; an unknown, expired or someone else's token gets the same answer.

export const links: LinksFunction = () => [{ rel: "stylesheet", href: studioStyles }];
export const meta: MetaFunction = () => [{ title: "Invitation · Pressroom" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const { user, headers } = await requireUser(request);
  return data({ email: user.email ?? null }, { headers: privateHeaders(headers) });
}

export async function action({ request, params }: ActionFunctionArgs) {
  requireSameOrigin(request);
  const { convex, headers } = await requireUser(request);
  try {
    const siteId = await convex.mutation(api.members.accept, { token: params.token ?? "" });
    return redirect(`/studio/${siteId}`, { headers });
  } catch (error) {
    const errors =
      errorCode(error) === "NOT_FOUND"
        ? { form: "This invitation is invalid, has expired, or was sent to another email address." }
        : formErrorsFrom(error);
    return data({ errors }, { status: 400, headers: privateHeaders(headers) });
  }
}

export default function AcceptInvite() {
  const { email } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  return (
    <main id="main" className="studio st-page">
      <h1>Join a publication</h1>
      <p>You were invited to help write a publication on Pressroom. You're signed in as {email ?? "an account without an email"}.</p>
      <FormMessage errors={result?.errors} />
      <Form method="post">
        <button type="submit" className="st-button st-button--primary" disabled={navigation.state === "submitting"}>
          Accept invitation
        </button>
      </Form>
      <p>
        <Link to="/studio">Not now</Link>
      </p>
    </main>
  );
}
