import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { readPendingEmail } from "../auth/cookies.server";
import { requireSameOrigin } from "../auth/csrf.server";
import { requestPasswordReset } from "../auth/flows.server";
import { formText } from "../auth/form-data.server";
import { Field, FormMessage, SubmitButton, type FormErrors } from "../auth/forms";
import { safeRedirectTo } from "../auth/redirect.server";

export const meta: MetaFunction = () => [{ title: "Reset your password · Pressroom" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const redirectTo = safeRedirectTo(new URL(request.url).searchParams.get("redirectTo"));
  return { redirectTo, email: readPendingEmail(request) };
}

export async function action({ request }: ActionFunctionArgs) {
  requireSameOrigin(request);
  const form = await request.formData();
  const redirectTo = safeRedirectTo(form.get("redirectTo"));
  const outcome = await requestPasswordReset(request, { email: formText(form, "email") });
  if (outcome.type === "error") return data({ errors: outcome.errors }, { status: outcome.status });
  // The same answer whether or not the address has an account.
  const q = new URLSearchParams({ sent: "1" });
  if (redirectTo !== "/") q.set("redirectTo", redirectTo);
  return redirect(`/reset-password?${q}`, { headers: outcome.headers });
}

export default function ForgotPassword() {
  const { redirectTo, email } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const errors: FormErrors = actionData?.errors ?? {};
  const busy = useNavigation().state !== "idle";
  const back = redirectTo !== "/" ? `?${new URLSearchParams({ redirectTo })}` : "";
  return (
    <main id="main" className="page">
      <h1>Reset your password</h1>
      <p>Enter your account's email address and we'll email you a code to choose a new password.</p>
      <FormMessage error={errors.form} />
      <Form method="post" replace>
        <input type="hidden" name="redirectTo" value={redirectTo} />
        <Field label="Email" name="email" type="email" autoComplete="email" required defaultValue={email} error={errors.fields?.email} />
        <SubmitButton pending={busy}>Email me a code</SubmitButton>
      </Form>
      <p>
        <Link to={`/login${back}`}>Back to sign in</Link>
      </p>
    </main>
  );
}
