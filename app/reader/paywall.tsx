import { Link } from "@remix-run/react";
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

/**
 * Shown instead of a locked post's body: the body is not in the page at all (it never left
 * Convex). Inside the paywalled element, matching the JSON-LD cssSelector.
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
  const p = readerPaths(site.base);
  const reason = subscription && !subscription.grantsAccess ? lockReasonText(subscription.reason) : null;
  return (
    <section className={`paywall ${PAYWALLED_CLASS}`} aria-labelledby="paywall-heading" data-testid="paywall">
      <h2 id="paywall-heading">This post is for subscribers</h2>
      {reason ? (
        <p className="paywall__reason" data-testid="paywall-reason">
          {reason}
        </p>
      ) : null}
      {reason && subscription?.canManage ? (
        <div className="paywall__manage">
          <ManageSubscriptionButton />
        </div>
      ) : null}
      <BillingError error={error} manage={errorManage} />
      <p>Subscribe to {site.name} to read the rest of this post and every other subscriber-only post.</p>
      {plans.length ? (
        <ul className="paywall__plans" aria-label="Plans">
          {plans.map((plan) => (
            <li key={plan.name}>
              <strong>{plan.name}</strong> · {formatPrice(plan.priceCents, plan.currency, plan.interval)}
              {"id" in plan ? <SubscribeButton plan={plan} /> : null}
            </li>
          ))}
        </ul>
      ) : null}
      <p className="paywall__actions">
        <Link to={p.subscribe} className="button" prefetch="none">
          Subscribe to read
        </Link>
        {signedIn ? null : (
          <span>
            Already a subscriber? <a href={`/login?redirectTo=${encodeURIComponent(redirectTo)}`}>Sign in</a>
          </span>
        )}
      </p>
    </section>
  );
}
