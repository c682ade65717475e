import {
  data,
  redirect,
  unstable_createMemoryUploadHandler,
  unstable_parseMultipartFormData,
  MaxPartSizeExceededError,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import type { ConvexHttpClient } from "convex/browser";
import { requireSameOrigin } from "../auth/csrf.server";
import { AUTH_COPY, authFormErrors, classifyAuthError, type FormErrors } from "../auth/errors.server";
import { checkField, FIELDS, fieldProps } from "../../convex/shared/fields";
import { formText } from "../auth/form-data.server";
import { readField } from "../utils/fields.server";
import { AuthCard, Field, FormMessage, SubmitButton } from "../auth/forms";
import { type Profile, type SessionRow } from "../auth/functions.server";
import { clearSession, requireUser } from "../auth/session.server";
import type { FunctionReturnType } from "convex/server";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { billingErrorMessage } from "../reader/billing.server";

export const meta: MetaFunction = () => [{ title: "Your account · Pressroom" }];

const MAX_AVATAR_BYTES = 5 * 1024 * 1024;
const AVATAR_TYPES = ["image/png", "image/jpeg", "image/webp", "image/gif"];

export async function loader({ request }: LoaderFunctionArgs) {
  const { user, convex, headers } = await requireUser(request);
  const [profile, sessions, subscriptions] = await Promise.allSettled([
    convex.query(api.users.getProfile, {}),
    convex.query(api.account.listSessions, {}),
    convex.query(api.billing.mySubscriptions, {}),
  ]);
  headers.set("Cache-Control", "private, no-store");
  // Each part degrades on its own, but a failure is logged, never just hidden.
  for (const [what, r] of [["account profile", profile], ["account sessions", sessions], ["billing:mySubscriptions", subscriptions]] as const) {
    if (r.status === "rejected") console.error(`/account: ${what} failed:`, r.reason);
  }
  return data(
    {
      user,
      profile: profile.status === "fulfilled" ? profile.value : (null as Profile | null),
      sessions: sessions.status === "fulfilled" ? sessions.value : (null as SessionRow[] | null),
      // null: could not be listed (not "none").
      subscriptions:
        subscriptions.status === "fulfilled" ? subscriptions.value : (null as FunctionReturnType<typeof api.billing.mySubscriptions> | null),
    },
    { headers },
  );
}

type Intent = "name" | "avatar" | "remove-avatar" | "password" | "sign-out-others" | "delete" | "manage-subscription";
type ActionResult = { intent: Intent; errors?: FormErrors; notice?: string };

function reply(result: ActionResult, status = 200, headers?: Headers) {
  return data(result, { status, headers });
}

async function readForm(request: Request): Promise<FormData> {
  if ((request.headers.get("Content-Type") ?? "").startsWith("multipart/form-data")) {
    return unstable_parseMultipartFormData(
      request,
      unstable_createMemoryUploadHandler({ maxPartSize: MAX_AVATAR_BYTES }),
    );
  }
  return request.formData();
}

export async function action({ request }: ActionFunctionArgs) {
  requireSameOrigin(request);
  const ctx = await requireUser(request, { redirectTo: "/account" });
  let form: FormData;
  try {
    form = await readForm(request);
  } catch (error) {
    if (error instanceof MaxPartSizeExceededError) {
      return reply({ intent: "avatar", errors: { fields: { avatar: "Choose an image under 5 MB." } } }, 400);
    }
    throw error;
  }
  const intent = formText(form, "intent") as Intent;
  try {
    switch (intent) {
      case "name": {
        const { value: name, error } = readField(form, "name", FIELDS.displayName);
        if (error) return reply({ intent, errors: { fields: { name: error } } }, 400);
        await ctx.convex.mutation(api.users.updateUserName, { name });
        return reply({ intent, notice: "Name saved." });
      }
      case "avatar":
        return await uploadAvatar(ctx.convex, form.get("avatar"));
      case "remove-avatar":
        await ctx.convex.mutation(api.users.updateProfile, { avatarStorageId: null });
        return reply({ intent, notice: "Avatar removed." });
      case "password": {
        const currentPassword = formText(form, "currentPassword", { raw: true });
        const newPassword = formText(form, "newPassword", { raw: true });
        const weak = checkField(FIELDS.password, newPassword);
        if (!weak.ok) return reply({ intent, errors: { fields: { newPassword: weak.message } } }, 400);
        if (!currentPassword) {
          return reply({ intent, errors: { fields: { currentPassword: "Enter your current password." } } }, 400);
        }
        try {
          await ctx.convex.action(api.account.changePassword, { currentPassword, newPassword });
        } catch (error) {
          return passwordError(intent, error, "currentPassword");
        }
        return reply({ intent, notice: "Password changed." });
      }
      case "manage-subscription": {
        // The Stripe Customer Portal (the local test fake without keys): card, plan, cancel at period end.
        const siteSlug = formText(form, "siteSlug", { max: 100 });
        try {
          const { url } = await ctx.convex.action(api.billing.createPortalSession, { siteSlug, returnTo: "/account" });
          return redirect(url, { status: 303, headers: ctx.headers });
        } catch (error) {
          // Logged (with the site) unless it is an expected refusal; the reader gets the reason.
          const { billingError } = billingErrorMessage(error, `billing:createPortalSession for site "${siteSlug}" (account page)`);
          return reply({ intent, errors: { form: billingError } }, 400);
        }
      }
      case "sign-out-others":
        await ctx.convex.mutation(api.account.signOutOtherSessions, {});
        return reply({ intent, notice: "Your other sessions are signed out." });
      case "delete": {
        const password = formText(form, "password", { raw: true });
        if (form.get("confirm") !== "yes") {
          return reply({ intent, errors: { fields: { confirm: "Tick the box to confirm." } } }, 400);
        }
        if (ctx.user.hasPassword && !password) {
          return reply({ intent, errors: { fields: { password: "Enter your password." } } }, 400);
        }
        try {
          // Accounts without a password must have signed in recently instead (REAUTH_REQUIRED).
          await ctx.convex.action(api.account.deleteAccount, ctx.user.hasPassword ? { password } : {});
        } catch (error) {
          return passwordError(intent, error, "password");
        }
        // The account is gone: so is the session.
        return redirect("/?deleted=1", { headers: clearSession(request) });
      }
      default:
        return reply({ intent, errors: { form: "Unknown action." } }, 400);
    }
  } catch (error) {
    const failure = classifyAuthError(error);
    if (failure.kind === "unknown") console.error(`/account: ${intent} failed:`, error);
    return reply({ intent, errors: authFormErrors(failure) }, 400);
  }
}

function passwordError(intent: Intent, error: unknown, field: string) {
  const failure = classifyAuthError(error);
  if (failure.kind === "app" && failure.code === "REAUTH_REQUIRED") {
    return reply({ intent, errors: { form: failure.message } }, 403);
  }
  if (failure.kind === "credentials") {
    return reply({ intent, errors: { fields: { [field]: "That isn't your current password." } } }, 400);
  }
  if (failure.kind === "weakPassword") return reply({ intent, errors: { fields: { newPassword: AUTH_COPY.weakPassword } } }, 400);
  const status = failure.kind === "rateLimited" ? 429 : 400;
  return reply({ intent, errors: authFormErrors(failure, { passwordField: "newPassword" }) }, status);
}

async function uploadAvatar(convex: ConvexHttpClient, file: FormDataEntryValue | null) {
  const intent = "avatar" as const;
  if (!(file instanceof Blob) || file.size === 0) {
    return reply({ intent, errors: { fields: { avatar: "Choose an image." } } }, 400);
  }
  if (!AVATAR_TYPES.includes(file.type)) {
    return reply({ intent, errors: { fields: { avatar: "Use a PNG, JPEG, WebP or GIF image." } } }, 400);
  }
  let uploadUrl: string;
  try {
    uploadUrl = await convex.mutation(api.users.generateAvatarUploadUrl, {});
  } catch (error) {
    if (error instanceof Error && /Could not find public function/.test(error.message)) {
      return reply({ intent, errors: { form: "Avatar upload isn't available yet." } }, 501);
    }
    throw error;
  }
  const uploaded = await fetch(uploadUrl, { method: "POST", headers: { "Content-Type": file.type }, body: file });
  if (!uploaded.ok) return reply({ intent, errors: { form: "The upload failed. Please try again." } }, 502);
  // Convex's upload answer: the new file's storage id.
  const { storageId } = (await uploaded.json()) as { storageId: Id<"_storage"> };
  await convex.mutation(api.users.updateProfile, { avatarStorageId: storageId });
  return reply({ intent, notice: "Avatar updated." });
}

export default function Account() {
  const { user, profile, sessions, subscriptions } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionResult | undefined;
  const busy = useNavigation().state !== "idle";
  const at = (intent: Intent) => (result?.intent === intent ? result : undefined);
  const image = user.image ?? profile?.image ?? null;
  return (
    <AuthCard
      title="Your account"
      wide
      intro={
        <p>
          Signed in as <strong data-testid="account-email">{user.email}</strong>
          {user.emailVerified ? null : " (email not verified)"}
        </p>
      }
    >

      <section aria-labelledby="profile-heading" className="account-section">
        <h2 id="profile-heading">Profile</h2>
        <Form method="post" replace>
          <input type="hidden" name="intent" value="name" />
          <FormMessage error={at("name")?.errors?.form} notice={at("name")?.notice} />
          <Field label="Name" name="name" autoComplete="name" {...fieldProps(FIELDS.displayName)} defaultValue={user.name ?? ""} required error={at("name")?.errors?.fields?.name} />
          <SubmitButton pending={busy}>Save name</SubmitButton>
        </Form>

        <h3>Avatar</h3>
        {image ? <img src={image} alt="Your avatar" width={96} height={96} className="account-avatar" /> : <p>No avatar yet.</p>}
        <Form method="post" encType="multipart/form-data" replace>
          <input type="hidden" name="intent" value="avatar" />
          <FormMessage error={at("avatar")?.errors?.form} notice={at("avatar")?.notice} />
          <Field label="Image" name="avatar" type="file" accept={AVATAR_TYPES.join(",")} error={at("avatar")?.errors?.fields?.avatar} hint="PNG, JPEG, WebP or GIF, up to 5 MB." />
          <SubmitButton pending={busy}>Upload avatar</SubmitButton>
        </Form>
        {image ? (
          <Form method="post" replace>
            <input type="hidden" name="intent" value="remove-avatar" />
            <FormMessage error={at("remove-avatar")?.errors?.form} notice={at("remove-avatar")?.notice} />
            <SubmitButton pending={busy} variant="secondary">
              Remove avatar
            </SubmitButton>
          </Form>
        ) : null}
      </section>

      <section aria-labelledby="password-heading" className="account-section">
        <h2 id="password-heading">Password</h2>
        {user.hasPassword ? (
          <Form method="post" replace>
            <input type="hidden" name="intent" value="password" />
            <FormMessage error={at("password")?.errors?.form} notice={at("password")?.notice} />
            <Field
              label="Current password"
              name="currentPassword"
              type="password"
              autoComplete="current-password"
              required
              error={at("password")?.errors?.fields?.currentPassword}
            />
            <Field
              label="New password"
              name="newPassword"
              type="password"
              autoComplete="new-password"
              required
              minLength={8}
              error={at("password")?.errors?.fields?.newPassword}
              hint="At least 8 characters. Your other sessions will be signed out."
            />
            <SubmitButton pending={busy}>Change password</SubmitButton>
          </Form>
        ) : (
          <p>This account signs in with an emailed code or another service, without a password.</p>
        )}
      </section>

      <section aria-labelledby="subscriptions-heading" className="account-section">
        <h2 id="subscriptions-heading">Subscriptions</h2>
        <FormMessage error={at("manage-subscription")?.errors?.form} />
        {subscriptions === null ? (
          <p role="alert">Your subscriptions can't be listed right now. Please try again in a moment.</p>
        ) : subscriptions.length === 0 ? (
          <p>You don't subscribe to any publication yet.</p>
        ) : (
          <ul data-testid="subscriptions">
            {subscriptions.map((s) => (
              <li key={s.siteSlug}>
                <a href={`/${s.siteSlug}/`}>{s.siteName}</a>
                {s.planName ? ` · ${s.planName}` : ""} · {s.grantsAccess ? "active" : s.status}
                {s.cancelAtPeriodEnd ? ` · ends ${new Date(s.currentPeriodEnd).toLocaleDateString("en-US", { dateStyle: "medium" })}` : ""}
                {s.canManage ? (
                  <Form method="post" replace className="account-inline-form">
                    <input type="hidden" name="intent" value="manage-subscription" />
                    <input type="hidden" name="siteSlug" value={s.siteSlug} />
                    <button type="submit" className="btn btn--secondary btn--small">
                      Manage subscription
                    </button>
                  </Form>
                ) : null}
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="sessions-heading" className="account-section">
        <h2 id="sessions-heading">Where you're signed in</h2>
        {sessions === null ? (
          <p>Sessions can't be listed right now.</p>
        ) : (
          <ul data-testid="sessions">
            {sessions.map((s) => (
              <li key={s._id} data-current={s.current ? "yes" : undefined}>
                {describeAgent(s.userAgent)}
                {s.ipAddress ? ` · ${s.ipAddress}` : ""} · signed in {formatTime(s.createdAt)}
                {s.lastSeenAt ? `, last seen ${formatTime(s.lastSeenAt)}` : ""}
                {s.current ? <strong> (this browser)</strong> : null}
              </li>
            ))}
          </ul>
        )}
        <Form method="post" replace>
          <input type="hidden" name="intent" value="sign-out-others" />
          <FormMessage error={at("sign-out-others")?.errors?.form} notice={at("sign-out-others")?.notice} />
          <SubmitButton pending={busy} variant="secondary">
            Sign out other sessions
          </SubmitButton>
        </Form>
      </section>

      <section aria-labelledby="data-heading" className="account-section">
        <h2 id="data-heading">Your data</h2>
        <p>One JSON file of everything Pressroom holds about you: profile, memberships, subscriptions, payments, your posts and the log entries about you.</p>
        <a href="/account/data.json" download className="btn btn--secondary">
          Download your data
        </a>
      </section>

      <section aria-labelledby="delete-heading" className="account-section account-section--danger">
        <h2 id="delete-heading">Delete account</h2>
        <p>
          This signs you out everywhere and removes your account. Sites where you are the only member are deleted;
          your posts on shared sites pass to their owners.
        </p>
        <Form method="post" replace>
          <input type="hidden" name="intent" value="delete" />
          <FormMessage error={at("delete")?.errors?.form} />
          {user.hasPassword ? (
            <Field
              label="Password"
              id="delete-password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              error={at("delete")?.errors?.fields?.password}
            />
          ) : (
            <p>Without a password, you need to have signed in within the last 10 minutes.</p>
          )}
          <div className={at("delete")?.errors?.fields?.confirm ? "field field--check field--invalid" : "field field--check"}>
            <input
              id="delete-confirm"
              type="checkbox"
              name="confirm"
              value="yes"
              required
              aria-invalid={at("delete")?.errors?.fields?.confirm ? true : undefined}
              aria-describedby={at("delete")?.errors?.fields?.confirm ? "delete-confirm-error" : undefined}
            />{" "}
            <label htmlFor="delete-confirm">I understand this can't be undone.</label>
            {at("delete")?.errors?.fields?.confirm ? (
              <p id="delete-confirm-error" role="alert" className="field__error">
                {at("delete")?.errors?.fields?.confirm}
              </p>
            ) : null}
          </div>
          <SubmitButton pending={busy} variant="danger">
            Delete my account
          </SubmitButton>
        </Form>
      </section>
    </AuthCard>
  );
}

function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").slice(0, 16) + " UTC";
}

function describeAgent(ua: string | null): string {
  if (!ua) return "Unknown device";
  const browser = /Firefox\//.test(ua) ? "Firefox" : /Edg\//.test(ua) ? "Edge" : /Chrom(e|ium)\//.test(ua) ? "Chrome" : /Safari\//.test(ua) ? "Safari" : "Browser";
  const os = /Windows/.test(ua) ? "Windows" : /Mac OS X/.test(ua) ? "macOS" : /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iOS" : /Linux/.test(ua) ? "Linux" : "";
  return os ? `${browser} on ${os}` : browser;
}
