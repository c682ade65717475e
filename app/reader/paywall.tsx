import type { ReactNode } from "react";
import { formatPrice } from "./format";
import { readerPaths } from "./paths";
import { PAYWALLED_CLASS } from "./seo";
import type { PublicPlan, SiteData } from "./types";

// The paywall and the billing buttons (checkout, portal) of reader pages: plain POST forms that
// work without JavaScript; the route actions are in billing.server.ts.

/** A plan readers can check out (billing.server.ts checkoutPlans). */
export type CheckoutPlan = PublicPlan & { id: string };

/** The reader's standing on a site, from billing:mySubscription (billing.server.ts readerSubscription). */
export type SubscriptionView = {
  planName: string | null;
  status: string;
  grantsAccess: boolean;
  reason: "past_due" | "unpaid" | "canceled" | "ended" | "incomplete" | "paused" | null;
  canManage: boolean;
  currentPeriodEnd: number;
  cancelAtPeriodEnd: boolean;
};

const LOCK_REASONS: Record<NonNullable<SubscriptionView["reason"]>, string> = {
  past_due: "Your last payment didn't go through, so subscriber posts are paused. Update your payment method to keep reading.",
  unpaid: "Your subscription is unpaid, so subscriber posts are locked. Update your payment method to read them again.",
  canceled: "Your subscription was canceled, so subscriber posts are locked.",
  ended: "Your subscription has ended, so subscriber posts are locked.",
  incomplete: "Your first payment hasn't gone through yet.",
  paused: "Your subscription is paused.",
};

/** Why a subscriber's access ended, for the paywall and the subscribe page. */
export function lockReasonText(reason: SubscriptionView["reason"]): string | null {
  return reason ? LOCK_REASONS[reason] : null;
}

/** A plain POST form (no client-side navigation: the action redirects off-site to Stripe's pages). */
export function SubscribeButton({ plan, label = "Subscribe" }: { plan: CheckoutPlan; label?: string }) {
  return (
    <form method="post" className="inline-form">
      <input type="hidden" name="intent" value="checkout" />
      <input type="hidden" name="planId" value={plan.id} />
      <button type="submit" className="button" aria-label={`${label}: ${plan.name}`}>
        {label}
      </button>
    </form>
  );
}

export function ManageSubscriptionButton() {
  return (
    <form method="post" className="inline-form">
      <input type="hidden" name="intent" value="portal" />
      <button type="submit" className="button button--secondary">
        Manage subscription
      </button>
    </form>
  );
}

/** The error of a billing form post (billing.server.ts), with the portal button when it helps. */
export function BillingError({ error, manage }: { error: string | null | undefined; manage?: boolean }) {
  if (!error) return null;
  return (
    <div className="notice" role="alert" data-testid="billing-error">
      <p>{error}</p>
      {manage ? <ManageSubscriptionButton /> : null}
    </div>
  );
}

/** The paywall's situation, from the reader's identity and subscription (one primary + one secondary action each). */
export type PaywallState = "signed-out" | "no-plan" | "lapsed" | "ended" | "no-plans";

export function paywallState(signedIn: boolean, plans: readonly unknown[], subscription: SubscriptionView | null): PaywallState {
  const reason = subscription && !subscription.grantsAccess ? subscription.reason : null;
  if ((reason === "past_due" || reason === "unpaid") && subscription?.canManage) return "lapsed";
  if (plans.length === 0) return "no-plans";
  if (!signedIn) return "signed-out";
  if (reason === "canceled" || reason === "ended") return "ended";
  return "no-plan";
}

/** `/{site}/subscribe?returnTo=<post>`: checkout from there comes back to the post (billing.server.ts subscribeReturnPaths). */
export function subscribeHref(site: SiteData, returnTo: string): string {
  return `${readerPaths(site.base).subscribe}?${new URLSearchParams({ returnTo })}`;
}

/** The plans as one compact choice (radio list) and a single submit: never a stack of buttons. */
function CheckoutForm({ plans, label }: { plans: CheckoutPlan[]; label: string }) {
  return (
    <form method="post" className="paywall__form">
      <input type="hidden" name="intent" value="checkout" />
      {plans.length === 1 ? (
        <>
          <input type="hidden" name="planId" value={plans[0].id} />
          <p className="paywall__plan-single" data-testid="paywall-plan">
            <strong>{plans[0].name}</strong> · {formatPrice(plans[0].priceCents, plans[0].currency, plans[0].interval)}
          </p>
        </>
      ) : (
        <fieldset className="paywall__plans" data-testid="paywall-plans">
          <legend className="visually-hidden">Choose a plan</legend>
          {plans.map((plan, i) => (
            <label key={plan.id} className="paywall__plan" data-testid="paywall-plan">
              <input type="radio" name="planId" value={plan.id} defaultChecked={i === 0} />
              <span className="paywall__plan-name">{plan.name}</span>
              <span className="paywall__plan-price">{formatPrice(plan.priceCents, plan.currency, plan.interval)}</span>
            </label>
          ))}
        </fieldset>
      )}
      <button type="submit" className="button" data-action="primary">
        {label}
      </button>
    </form>
  );
}

/**
 * Shown instead of a locked post's body: the body is not in the page at all (it never left
 * Convex). Inside the paywalled element, matching the JSON-LD cssSelector. Whatever the reader's
 * state, it offers exactly one primary action (`.button`) and one secondary (`.button--secondary`).
 */
export function Paywall({
  site,
  signedIn,
  redirectTo,
  plans,
  subscription = null,
  error = null,
  errorManage = false,
}: {
  site: SiteData;
  signedIn: boolean;
  redirectTo: string;
  plans: (PublicPlan | CheckoutPlan)[];
  subscription?: SubscriptionView | null;
  error?: string | null;
  errorManage?: boolean;
}) {
  const checkout = plans.filter((p): p is CheckoutPlan => "id" in p);
  const state = paywallState(signedIn, checkout, subscription);
  const reason = subscription && !subscription.grantsAccess ? lockReasonText(subscription.reason) : null;
  const subscribe = subscribeHref(site, redirectTo);
  const secondaryLink = (href: string, text: string) => (
    <a href={href} className="button button--secondary" data-action="secondary">
      {text}
    </a>
  );
  const signIn = secondaryLink(`/login?${new URLSearchParams({ redirectTo })}`, "Sign in");
  const plansLink = secondaryLink(subscribe, "See plans");
  const portal = (text: string, primary: boolean) => (
    <form method="post" className="inline-form">
      <input type="hidden" name="intent" value="portal" />
      <button type="submit" className={primary ? "button" : "button button--secondary"} data-action={primary ? "primary" : "secondary"}>
        {text}
      </button>
    </form>
  );
  let primary: ReactNode;
  let secondary: ReactNode;
  let lede: string;
  switch (state) {
    case "lapsed":
      lede = `Update your payment method to keep reading ${site.name}.`;
      primary = portal("Update payment", true);
      secondary = plansLink;
      break;
    case "no-plans":
      lede = `${site.name} hasn't opened paid subscriptions yet.`;
      primary = (
        <a href={subscribe} className="button" data-action="primary">
          Follow {site.name}
        </a>
      );
      secondary = signedIn ? secondaryLink(readerPaths(site.base).home, "Read free posts") : signIn;
      break;
    case "signed-out":
      lede = `Subscribe to ${site.name} to read the rest of this post and every other subscriber-only post.`;
      primary = <CheckoutForm plans={checkout} label="Subscribe" />;
      secondary = signIn;
      break;
    case "ended":
      lede = `Resubscribe to ${site.name} to read the rest of this post.`;
      primary = <CheckoutForm plans={checkout} label="Resubscribe" />;
      secondary = subscription?.canManage ? portal("Manage subscription", false) : plansLink;
      break;
    default:
      lede = `Subscribe to ${site.name} to read the rest of this post and every other subscriber-only post.`;
      primary = <CheckoutForm plans={checkout} label="Subscribe" />;
      secondary = errorManage ? portal("Manage subscription", false) : plansLink;
  }
  return (
    <section className={`paywall ${PAYWALLED_CLASS}`} aria-labelledby="paywall-heading" data-testid="paywall" data-state={state}>
      <h2 id="paywall-heading">This post is for subscribers</h2>
      {reason ? (
        <p className="paywall__reason" data-testid="paywall-reason">
          {reason}
        </p>
      ) : null}
      {/* The portal offer of an "already subscribed" error is the secondary action below, not a third button. */}
      <BillingError error={error} />
      <p className="paywall__lede">{lede}</p>
      <div className="paywall__actions">
        {primary}
        {secondary}
      </div>
    </section>
  );
}

/**
 * Back from Stripe Checkout (`?checkout=success`, billing:createCheckout's success URL): a short
 * thank-you above the now unlocked post, or on the subscribe page when checkout started there.
 */
export function CheckoutThanks({ site, search }: { site: SiteData; search: string }) {
  if (new URLSearchParams(search).get("checkout") !== "success") return null;
  return (
    <div className="checkout-thanks" role="status" data-testid="checkout-thanks">
      <p>
        <strong>Thank you for subscribing to {site.name}!</strong> Subscriber posts are open to you from now on.
      </p>
    </div>
  );
}
