import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { readPendingEmail } from "../auth/cookies.server";
import { requireSameOrigin } from "../auth/csrf.server";
import { requestPasswordReset } from "../auth/flows.server";
import { formText } from "../auth/form-data.server";
import { AuthCard, Field, FormMessage, SubmitButton, type FormErrors } from "../auth/forms";
import { authBranding, authQuery } from "../auth/branding.server";
import { safeRedirectTo } from "../auth/redirect.server";

export const meta: MetaFunction = () => [{ title: "Reset your password · Pressroom" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const redirectTo = safeRedirectTo(new URL(request.url).searchParams.get("redirectTo"));
  const branding = await authBranding(request);
  return { redirectTo, email: readPendingEmail(request), branding, back: authQuery(redirectTo, branding) };
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
  const { redirectTo, email, branding, back } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const errors: FormErrors = actionData?.errors ?? {};
  const busy = useNavigation().state !== "idle";
  return (
    <AuthCard
      title="Reset your password"
      branding={branding}
      intro={<p>Enter your account's email address and we'll email you a code to choose a new password.</p>}
      footer={
        <p>
          <Link to={`/login${back}`}>Back to sign in</Link>
        </p>
      }
    >
      <FormMessage error={errors.form} />
      <Form method="post" replace className="auth-form">
        <input type="hidden" name="redirectTo" value={redirectTo} />
        <Field label="Email" name="email" type="email" autoComplete="email" required defaultValue={email} error={errors.fields?.email} />
        <SubmitButton pending={busy}>Email me a code</SubmitButton>
      </Form>
    </AuthCard>
  );
}
