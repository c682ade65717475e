import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { requireSameOrigin } from "../auth/csrf.server";
import { flowResponse, passwordSignUp } from "../auth/flows.server";
import { FIELDS, fieldProps } from "../../convex/shared/fields";
import { formText } from "../auth/form-data.server";
import { Field, FormMessage, SubmitButton, type FormErrors } from "../auth/forms";
import { safeRedirectTo } from "../auth/redirect.server";
import { getUser } from "../auth/session.server";

export const meta: MetaFunction = () => [{ title: "Create an account · Pressroom" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const redirectTo = safeRedirectTo(new URL(request.url).searchParams.get("redirectTo"));
  const { user, headers } = await getUser(request);
  if (user) throw redirect(redirectTo, { headers });
  return data({ redirectTo }, { headers });
}

export async function action({ request }: ActionFunctionArgs) {
  requireSameOrigin(request);
  const form = await request.formData();
  const redirectTo = safeRedirectTo(form.get("redirectTo"));
  const outcome = await passwordSignUp(request, {
    name: formText(form, "name"),
    email: formText(form, "email"),
    password: formText(form, "password", { raw: true }),
  });
  return flowResponse(outcome, redirectTo, "password");
}

export default function Signup() {
  const { redirectTo } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const errors: FormErrors = (actionData && "errors" in actionData ? actionData.errors : undefined) ?? {};
  const busy = useNavigation().state !== "idle";
  const back = redirectTo !== "/" ? `?${new URLSearchParams({ redirectTo })}` : "";
  return (
    <main id="main" className="page">
      <h1>Create an account</h1>
      <FormMessage error={errors.form} />
      <Form method="post" replace>
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
      <p>We'll email you an 8-digit code to confirm the address (or, if it already has an account, how to sign in).</p>
      <p>
        Already have an account? <Link to={`/login${back}`}>Sign in</Link>
      </p>
    </main>
  );
}
