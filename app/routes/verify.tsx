import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { readPendingEmail } from "../auth/cookies.server";
import { requireSameOrigin } from "../auth/csrf.server";
import { CODE_PROVIDERS, flowResponse, requestEmailCode, verifyCode, type CodeProvider } from "../auth/flows.server";
import { formText } from "../auth/form-data.server";
import { AuthCard, Field, FormMessage, SubmitButton, type FormErrors } from "../auth/forms";
import { authBranding, authQuery } from "../auth/branding.server";
import { safeRedirectTo } from "../auth/redirect.server";
import { getUser } from "../auth/session.server";

export const meta: MetaFunction = () => [{ title: "Enter your code · Pressroom" }];

function providerOf(value: FormDataEntryValue | string | null): CodeProvider {
  return (CODE_PROVIDERS as readonly string[]).includes(String(value)) ? (value as CodeProvider) : "password";
}

/** Confirming a new account without a page to return to lands in the studio; a sign-in code, on the home page. */
function fallbackFor(provider: CodeProvider): string {
  return provider === "password" ? "/studio" : "/";
}

export async function loader({ request }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  const provider = providerOf(url.searchParams.get("provider"));
  const redirectTo = safeRedirectTo(url.searchParams.get("redirectTo"), fallbackFor(provider));
  const [{ user, headers }, branding] = await Promise.all([getUser(request), authBranding(request)]);
  if (user) throw redirect(redirectTo, { headers });
  return data(
    { redirectTo, provider, email: readPendingEmail(request), branding, back: authQuery(redirectTo.startsWith("/studio") ? "/" : redirectTo, branding) },
    { headers },
  );
}

export async function action({ request }: ActionFunctionArgs) {
  requireSameOrigin(request);
  const form = await request.formData();
  const provider = providerOf(form.get("provider"));
  const redirectTo = safeRedirectTo(form.get("redirectTo"), fallbackFor(provider));
  const email = formText(form, "email");
  if (formText(form, "intent") === "resend" && provider === "email-code") {
    const outcome = await requestEmailCode(request, { email });
    if (outcome.type === "codeSent") {
      return data({ notice: "We sent a new code. Codes expire after a while; use the latest one." }, { headers: outcome.headers });
    }
    return flowResponse(outcome, redirectTo, provider);
  }
  const outcome = await verifyCode(request, { provider, email, code: formText(form, "code", { max: 64 }) });
  return flowResponse(outcome, redirectTo, provider);
}

export default function Verify() {
  const { redirectTo, provider, email, branding, back } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const errors: FormErrors = (actionData && "errors" in actionData ? actionData.errors : undefined) ?? {};
  const notice = actionData && "notice" in actionData ? actionData.notice : undefined;
  const busy = useNavigation().state !== "idle";
  return (
    <AuthCard
      title="Check your email"
      branding={branding}
      intro={
        <p>
          {provider === "password"
            ? "We emailed you an 8-digit code to confirm your address. Enter it to finish signing up."
            : "We emailed you a sign-in code. Enter it to sign in."}
        </p>
      }
      footer={
        provider === "password" ? (
          <p>
            No code? <Link to={`/login${back}`}>Sign in with your password</Link> to get a new one.
          </p>
        ) : null
      }
    >
      <FormMessage error={errors.form} notice={notice} />
      <Form method="post" replace className="auth-form">
        <input type="hidden" name="redirectTo" value={redirectTo} />
        <input type="hidden" name="provider" value={provider} />
        <Field label="Email" name="email" type="email" autoComplete="email" required defaultValue={email} error={errors.fields?.email} />
        <Field
          label="Code"
          name="code"
          inputMode="numeric"
          autoComplete="one-time-code"
          required
          error={errors.fields?.code}
        />
        <SubmitButton name="intent" value="verify" pending={busy}>
          Continue
        </SubmitButton>
        {provider === "email-code" ? (
          <>
            {" "}
            <SubmitButton name="intent" value="resend" pending={busy} variant="secondary">
              Send a new code
            </SubmitButton>
          </>
        ) : null}
      </Form>
    </AuthCard>
  );
}
