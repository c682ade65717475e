import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { readPendingEmail } from "../auth/cookies.server";
import { requireSameOrigin } from "../auth/csrf.server";
import { classifyAuthError, authFormErrors } from "../auth/errors.server";
import { flowResponse, passwordSignIn, requestEmailCode } from "../auth/flows.server";
import { formText } from "../auth/form-data.server";
import { AuthCard, Field, FormMessage, SubmitButton, type FormErrors } from "../auth/forms";
import { authBranding, authQuery } from "../auth/branding.server";
import { safeRedirectTo } from "../auth/redirect.server";
import { getUser, startOAuth } from "../auth/session.server";
import { oauthProviders } from "../auth/providers.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data?.branding ? `Sign in · ${data.branding.name}` : "Sign in · Pressroom" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  const redirectTo = safeRedirectTo(url.searchParams.get("redirectTo"));
  const [{ user, headers }, branding] = await Promise.all([getUser(request), authBranding(request)]);
  if (user) throw redirect(redirectTo, { headers });
  return data(
    {
      redirectTo,
      branding,
      back: authQuery(redirectTo, branding),
      email: readPendingEmail(request),
      providers: oauthProviders(),
      notice: url.searchParams.get("reset") === "1" ? "Your password was changed. Sign in with the new one." : undefined,
    },
    { headers },
  );
}

export async function action({ request }: ActionFunctionArgs) {
  requireSameOrigin(request);
  const form = await request.formData();
  const intent = formText(form, "intent");
  const redirectTo = safeRedirectTo(form.get("redirectTo"));
  if (intent === "email-code") {
    const outcome = await requestEmailCode(request, { email: formText(form, "email") });
    return flowResponse(outcome, redirectTo, "email-code");
  }
  if (intent === "oauth") {
    const provider = formText(form, "provider");
    if (!oauthProviders().some((p) => p.id === provider)) {
      return data({ errors: { form: "That sign-in method isn't available." } as FormErrors }, { status: 400 });
    }
    try {
      return await startOAuth(request, provider, redirectTo);
    } catch (error) {
      return data({ errors: authFormErrors(classifyAuthError(error)) }, { status: 400 });
    }
  }
  const outcome = await passwordSignIn(request, {
    email: formText(form, "email"),
    password: formText(form, "password", { raw: true }),
  });
  return flowResponse(outcome, redirectTo, "password");
}

export default function Login() {
  const { redirectTo, email, providers, notice, branding, back } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const errors: FormErrors = (actionData && "errors" in actionData ? actionData.errors : undefined) ?? {};
  const navigation = useNavigation();
  const busy = navigation.state !== "idle";
  return (
    <AuthCard
      title="Sign in"
      branding={branding}
      intro={branding ? <p>Sign in to read {branding.name} with your Pressroom account.</p> : null}
      footer={
        <p>
          New to Pressroom? <Link to={`/signup${back}`}>Create an account</Link>
        </p>
      }
    >
      <FormMessage error={errors.form} notice={notice} />
      <Form method="post" replace className="auth-form">
        <input type="hidden" name="redirectTo" value={redirectTo} />
        <Field label="Email" name="email" type="email" autoComplete="email" required defaultValue={email} error={errors.fields?.email} />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          error={errors.fields?.password}
        />
        <SubmitButton name="intent" value="password" pending={busy}>
          Sign in
        </SubmitButton>
      </Form>
      <p className="auth-form__aside">
        <Link to={`/forgot-password${back}`}>Forgot your password?</Link>
      </p>

      <h2 className="auth-card__divider">Or get a sign-in code by email</h2>
      <Form method="post" replace className="auth-form">
        <input type="hidden" name="redirectTo" value={redirectTo} />
        <Field label="Email" id="code-email" name="email" type="email" autoComplete="email" required defaultValue={email} />
        <SubmitButton name="intent" value="email-code" pending={busy} variant="secondary">
          Email me a code
        </SubmitButton>
      </Form>

      {providers.length ? (
        <Form method="post" replace className="auth-form auth-form--providers">
          <input type="hidden" name="redirectTo" value={redirectTo} />
          <input type="hidden" name="intent" value="oauth" />
          {providers.map((p) => (
            <p key={p.id}>
              <SubmitButton name="provider" value={p.id} pending={busy} variant="secondary">
                Continue with {p.name}
              </SubmitButton>
            </p>
          ))}
        </Form>
      ) : null}
    </AuthCard>
  );
}
