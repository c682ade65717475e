import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { readPendingEmail } from "../auth/cookies.server";
import { requireSameOrigin } from "../auth/csrf.server";
import { AUTH_COPY } from "../auth/errors.server";
import { resetPassword } from "../auth/flows.server";
import { formText } from "../auth/form-data.server";
import { AuthCard, Field, FormMessage, SubmitButton, type FormErrors } from "../auth/forms";
import { safeRedirectTo } from "../auth/redirect.server";

export const meta: MetaFunction = () => [{ title: "Choose a new password · Pressroom" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  return {
    redirectTo: safeRedirectTo(url.searchParams.get("redirectTo")),
    email: readPendingEmail(request),
    notice: url.searchParams.get("sent") === "1" ? AUTH_COPY.codeSent : undefined,
  };
}

export async function action({ request }: ActionFunctionArgs) {
  requireSameOrigin(request);
  const form = await request.formData();
  const redirectTo = safeRedirectTo(form.get("redirectTo"));
  const outcome = await resetPassword(request, {
    email: formText(form, "email"),
    code: formText(form, "code", { max: 64 }),
    newPassword: formText(form, "newPassword", { raw: true }),
  });
  if (outcome.type === "signedIn") return redirect(redirectTo, { headers: outcome.headers });
  if (outcome.type === "error") return data({ errors: outcome.errors }, { status: outcome.status });
  return redirect("/login", { headers: outcome.headers });
}

export default function ResetPassword() {
  const { redirectTo, email, notice } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const errors: FormErrors = (actionData && "errors" in actionData ? actionData.errors : undefined) ?? {};
  const busy = useNavigation().state !== "idle";
  const back = redirectTo !== "/" ? `?${new URLSearchParams({ redirectTo })}` : "";
  return (
    <AuthCard
      title="Choose a new password"
      footer={
        <p>
          No email? <Link to={`/forgot-password${back}`}>Ask for a new code</Link>
        </p>
      }
    >
      <FormMessage error={errors.form} notice={errors.form ? undefined : notice} />
      <Form method="post" replace className="auth-form">
        <input type="hidden" name="redirectTo" value={redirectTo} />
        <Field label="Email" name="email" type="email" autoComplete="email" required defaultValue={email} error={errors.fields?.email} />
        <Field label="Code" name="code" inputMode="numeric" autoComplete="one-time-code" required error={errors.fields?.code} />
        <Field
          label="New password"
          name="newPassword"
          type="password"
          autoComplete="new-password"
          required
          minLength={8}
          error={errors.fields?.newPassword}
          hint="At least 8 characters. Your other signed-in devices will be signed out."
        />
        <SubmitButton pending={busy}>Change password and sign in</SubmitButton>
      </Form>
    </AuthCard>
  );
}
