import { redirect } from "@remix-run/node";
import { api } from "../../convex/_generated/api";
import { errorCodeOf, errorData, toUserError } from "../../convex/shared/errors";
import { checkField, FIELDS } from "../../convex/shared/fields";
import type { Id } from "../../convex/_generated/dataModel";
import { requireSameOrigin } from "../auth/csrf.server";
import { safeRedirectTo } from "../auth/redirect.server";
import { convexAs, getAuthSession } from "../auth/session.server";
import type { ReaderClient } from "./client.server";
import type { CheckoutPlan, SubscriptionView } from "./paywall";
import { readerPaths } from "./paths";

// The reader side of billing (issue 8): the plans readers can check out, their standing on the
// site, and the one form action behind every "Subscribe" and "Manage subscription" button. Convex
// decides everything (billing:createCheckout / createPortalSession check the viewer, the plan and
// that returnTo is a path on the app); this module only forwards the reader to Stripe's pages.

/** What the subscribe page shows: the plans, or why they could not be loaded (safe copy for readers). */
export type PlansResult = { plans: CheckoutPlan[]; plansError: string | null };

const PLANS_FAILED = "Something went wrong loading the plans. Please try again in a moment.";

/** A reader-safe line for a failed call: toUserError's text for our ConvexErrors, else `fallback`. */
function safeMessage(error: unknown, fallback: string): string {
  const failure = toUserError(error);
  return failure.code ? failure.message : fallback;
}

/**
 * The site's active plans with the ids checkout needs. A failure is logged and reported as
 * `plansError`, never as an empty list: "coming soon" is only for a site that has no plans.
 */
export async function loadCheckoutPlans(client: ReaderClient, siteSlug: string): Promise<PlansResult> {
  try {
    const plans = await client.query(api.plans.listPublic, { siteSlug });
    return {
      plans: plans.map((p) => ({
        id: p._id,
        name: p.name,
        description: p.description,
        priceCents: p.priceCents,
        currency: p.currency,
        interval: p.interval,
        features: p.features,
      })),
      plansError: null,
    };
  } catch (error) {
    console.error(`plans:listPublic failed for site "${siteSlug}":`, error);
    return { plans: [], plansError: safeMessage(error, PLANS_FAILED) };
  }
}

/** The plans for a locked post's paywall: [] after a failure (logged by loadCheckoutPlans; its "Subscribe to read" link leads to the page that shows the error). */
export async function checkoutPlans(client: ReaderClient, siteSlug: string): Promise<CheckoutPlan[]> {
  return (await loadCheckoutPlans(client, siteSlug)).plans;
}

/** The signed-in reader's subscription on the site, or null (signed out, never subscribed, or unavailable). */
export async function readerSubscription(client: ReaderClient, siteSlug: string): Promise<SubscriptionView | null> {
  if (!client.signedIn) return null;
  try {
    const sub = await client.query(api.billing.mySubscription, { siteSlug });
    if (!sub) return null;
    return {
      planName: sub.planName,
      status: sub.status,
      grantsAccess: sub.grantsAccess,
      reason: sub.reason,
      canManage: sub.canManage,
      currentPeriodEnd: sub.currentPeriodEnd,
      cancelAtPeriodEnd: sub.cancelAtPeriodEnd,
    };
  } catch (error) {
    // The page still works without it (plans and Subscribe buttons show); the failure is logged.
    console.error(`billing:mySubscription failed for site "${siteSlug}":`, error);
    return null;
  }
}

export type BillingActionData = { billingError: string; manage?: boolean };

/**
 * A readable message for a failed checkout or portal call (`manage`: offer the portal). Expected
 * refusals get their own copy, other catalogue codes the catalogue's; anything else is logged with
 * `context` and shown as a generic retry line.
 */
export function billingErrorMessage(error: unknown, context = "billing action"): BillingActionData {
  const code = errorCodeOf(error);
  const data = code ? { code, reason: errorData(error)?.reason } : null;
  if (data?.code === "INVALID_STATE" && data.reason === "already_subscribed") {
    return { billingError: "You're already subscribed — manage your subscription", manage: true };
  }
  if (data?.code === "INVALID_STATE" && data.reason === "billing_not_configured") {
    return { billingError: "Payments aren't set up for this publication yet." };
  }
  if (data?.code === "NOT_FOUND") {
    return { billingError: "We couldn't find that subscription here. Choose a plan to subscribe." };
  }
  if (data?.code === "USER_INACTIVE") return { billingError: "Your account is not active." };
  if (data?.code === "UNAUTHENTICATED") return { billingError: "Please sign in again to continue." };
  console.error(`${context} failed:`, error);
  return { billingError: safeMessage(error, "We couldn't reach the payment page. Please try again in a moment.") };
}

/**
 * A `returnTo` from the subscribe page's URL, when it is a reader path of THIS site (the paywall
 * sends `/{site}/{post}`): same-origin and relative (safeRedirectTo), under the site's base, and
 * not the subscribe page itself. Anything else (another host, another site, an auth page) is null.
 */
export function readerReturnPath(base: string, value: string | null): string | null {
  const safe = safeRedirectTo(value, "");
  if (!safe) return null;
  const path = safe.split(/[?#]/, 1)[0];
  if (base && !path.startsWith(`${base}/`)) return null;
  if (path === readerPaths(base).subscribe || path.startsWith(`${readerPaths(base).subscribe}/`)) return null;
  return safe;
}

/**
 * Where the subscribe page's forms come back to. The paywall names its post as `returnTo`
 * (readerReturnPath); an email's upgrade button names its post by slug (`?from=<post slug>`,
 * contract #15). Checkout returns the new subscriber to that post (with `?checkout=success`), and
 * sign-up to this page with the same parameter. Anything else is ignored, so the parameters can
 * only ever name a path on this site.
 */
export function subscribeReturnPaths(base: string, search: string): { returnTo: string; signUpTo: string } {
  const p = readerPaths(base);
  const params = new URLSearchParams(search);
  const back = readerReturnPath(base, params.get("returnTo"));
  if (back) return { returnTo: back, signUpTo: `${p.subscribe}?${new URLSearchParams({ returnTo: back })}` };
  const from = params.get("from");
  const slug = from !== null ? checkField(FIELDS.slug, from) : null;
  if (!slug?.ok || slug.value !== from) return { returnTo: p.subscribe, signUpTo: p.subscribe };
  return { returnTo: p.post(from), signUpTo: `${p.subscribe}?${new URLSearchParams({ from })}` };
}

/**
 * The action behind the billing forms (`intent` = "checkout" with `planId`, or "portal"): signed-out
 * readers go to sign up and come back to `signUpTo` (default `returnTo`); signed-in ones are 303'd to
 * Stripe's checkout or billing portal, which return to `returnTo`.
 * @returns a redirect Response, or data with a readable error for the page to show.
 * @throws Response 403 for cross-site posts; 400 for an unknown intent.
 */
export async function handleBillingAction(request: Request, siteSlug: string, returnTo: string, signUpTo = returnTo): Promise<Response | BillingActionData> {
  requireSameOrigin(request);
  const form = await request.formData();
  const intent = form.get("intent");
  if (intent !== "checkout" && intent !== "portal") throw new Response("Unknown action.", { status: 400 });
  const session = await getAuthSession(request);
  if (!session.token) {
    throw redirect(`/signup?${new URLSearchParams({ redirectTo: signUpTo })}`, { status: 303, headers: session.headers });
  }
  const convex = convexAs(session.token);
  try {
    if (intent === "checkout") {
      const planId = form.get("planId");
      if (typeof planId !== "string" || !planId) return { billingError: "Choose a plan to subscribe." };
      const { url } = await convex.action(api.billing.createCheckout, { siteSlug, planId: planId as Id<"subscriptionPlans">, returnTo });
      return redirect(url, { status: 303, headers: session.headers });
    }
    const { url } = await convex.action(api.billing.createPortalSession, { siteSlug, returnTo });
    return redirect(url, { status: 303, headers: session.headers });
  } catch (error) {
    return billingErrorMessage(error, `billing ${intent} for site "${siteSlug}"`);
  }
}
