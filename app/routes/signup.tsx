import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { requireSameOrigin } from "../auth/csrf.server";
import { flowResponse, passwordSignUp } from "../auth/flows.server";
import { FIELDS, fieldProps } from "../../convex/shared/fields";
import { formText } from "../auth/form-data.server";
import { AuthCard, Field, FormMessage, SubmitButton, type FormErrors } from "../auth/forms";
import { authBranding, authQuery, signupRedirect } from "../auth/branding.server";
import { safeRedirectTo } from "../auth/redirect.server";
import { getUser } from "../auth/session.server";

export const meta: MetaFunction = () => [{ title: "Create an account · Pressroom" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const searchParams = new URL(request.url).searchParams;
  const redirectTo = signupRedirect(searchParams);
  const [{ user, headers }, branding] = await Promise.all([getUser(request), authBranding(request)]);
  if (user) throw redirect(redirectTo, { headers });
  const intent = searchParams.get("intent") === "publication" ? "publication" : null;
  return data({ redirectTo, branding, intent, back: authQuery(redirectTo.startsWith("/studio") ? "/" : redirectTo, branding) }, { headers });
}

export async function action({ request }: ActionFunctionArgs) {
  requireSameOrigin(request);
  const form = await request.formData();
  const redirectTo = safeRedirectTo(form.get("redirectTo"), "/studio");
  const outcome = await passwordSignUp(request, {
    name: formText(form, "name"),
    email: formText(form, "email"),
    password: formText(form, "password", { raw: true }),
  });
  return flowResponse(outcome, redirectTo, "password");
}

export default function Signup() {
  const { redirectTo, branding, intent, back } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const errors: FormErrors = (actionData && "errors" in actionData ? actionData.errors : undefined) ?? {};
  const busy = useNavigation().state !== "idle";
  return (
    <AuthCard
      title="Create an account"
      branding={branding}
      intro={
        intent === "publication" ? (
          <p>Start your publication: create your account, confirm your email, and you're in the studio.</p>
        ) : branding ? (
          <p>One Pressroom account to follow and subscribe to {branding.name}.</p>
        ) : null
      }
      footer={
        <p>
          Already have an account? <Link to={`/login${back}`}>Sign in</Link>
        </p>
      }
    >
      <FormMessage error={errors.form} />
      <Form method="post" replace className="auth-form">
        <input type="hidden" name="redirectTo" value={redirectTo} />
        <Field label="Name" name="name" autoComplete="name" required {...fieldProps(FIELDS.displayName)} error={errors.fields?.name} />
        <Field label="Email" name="email" type="email" autoComplete="email" required {...fieldProps(FIELDS.email)} error={errors.fields?.email} />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          minLength={FIELDS.password.min}
          {...fieldProps(FIELDS.password)}
          error={errors.fields?.password}
          hint="At least 8 characters."
        />
        <SubmitButton pending={busy}>Create account</SubmitButton>
      </Form>
      <p className="auth-form__aside">We'll email you an 8-digit code to confirm the address (or, if it already has an account, how to sign in).</p>
    </AuthCard>
  );
}
