import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData, useLocation, useRouteError } from "@remix-run/react";
import { handleBillingAction, loadCheckoutPlans, readerSubscription, subscribeReturnPaths } from "../reader/billing.server";
import { readerMembership } from "../reader/audience.server";
import { PageHeader, ReaderError } from "../reader/components";
import { BillingError, CheckoutThanks, ManageSubscriptionButton, SubscribeButton, lockReasonText } from "../reader/paywall";
import { CACHE_PRIVATE, cachedPage, readerHeaders } from "../reader/http.server";
import { requireSite } from "../reader/pages.server";
import { formatDate, formatPrice } from "../reader/format";
import { readerPaths } from "../reader/paths";
import { JoinForm } from "../reader/join-form";
import { errorMeta, siteFromMatches, useSite } from "../reader/route-helpers";
import { useViewer } from "../reader/join-form";
import { pageMeta } from "../reader/seo";

// /{site}/subscribe: where the paywall sends readers. It lists the site's active plans
// (plans:listPublic), each with a Subscribe button that starts Stripe Checkout (billing.server.ts);
// a signed-in subscriber sees their plan (or why it stopped) and a Manage subscription button for the
// billing portal. Without plans it is a "coming soon" page; when the plans cannot be loaded it says so
// (and is never cached), rather than pretending there are none.

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { client, site, resolved } = await requireSite(request, params);
  const [{ plans, plansError }, subscription, membership] = await Promise.all([
    loadCheckoutPlans(client, site.slug),
    readerSubscription(client, site.slug),
    readerMembership(client, site.slug),
  ]);
  const payload = { signedIn: client.signedIn, plans, plansError, subscription, membership };
  return cachedPage(request, client, payload, { site, payload }, null, plansError ? { "Cache-Control": CACHE_PRIVATE } : undefined);
}

export const headers = readerHeaders;

/** Subscribe / Manage subscription: off to Stripe, back to this page (or to the post an email's upgrade button named). */
export async function action({ request, params }: ActionFunctionArgs) {
  const { site } = await requireSite(request, params);
  const { returnTo, signUpTo } = subscribeReturnPaths(site.base, new URL(request.url).search);
  return handleBillingAction(request, site.slug, returnTo, signUpTo);
}

export default function SubscribePage() {
  const { signedIn, plans, plansError, subscription, membership } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const site = useSite()!;
  const { search } = useLocation();
  const p = readerPaths(site.base);
  const viewer = useViewer();
  const paidMember = viewer?.membership === "paid" || viewer?.membership === "comped";
  const active = subscription?.grantsAccess ?? false;
  const reason = subscription && !subscription.grantsAccess ? lockReasonText(subscription.reason) : null;
  // Only a site that truly has no plans is "coming soon"; a failed load shows its error instead.
  const comingSoon = plans.length === 0 && !plansError;
  return (
    <>
      <CheckoutThanks site={site} search={search} />
      <PageHeader kicker="Subscribe" title={`Support ${site.name}`}>
        <p className="lede">Subscribers read every featured post and keep {site.name} independent.</p>
      </PageHeader>
      {subscription && (active || reason) ? (
        <section aria-labelledby="my-subscription-heading" className="notice" data-testid="my-subscription">
          <h2 id="my-subscription-heading">Your subscription</h2>
          {active ? (
            <p>
              You're subscribed{subscription.planName ? ` (${subscription.planName})` : ""}.{" "}
              {subscription.cancelAtPeriodEnd
                ? `It ends on ${formatDate(subscription.currentPeriodEnd)}.`
                : `It renews on ${formatDate(subscription.currentPeriodEnd)}.`}
            </p>
          ) : (
            <p data-testid="subscription-reason">{reason}</p>
          )}
          {subscription.canManage ? <ManageSubscriptionButton /> : null}
        </section>
      ) : null}
      <BillingError error={actionData?.billingError} manage={actionData?.manage} />
      {/* Free first: most paid subscriptions start as a free follow (issue #15). */}
      <JoinForm site={site} membership={membership} idPrefix="subscribe" title="Follow by email" />
      {plansError ? (
        <div className="notice" role="alert" data-testid="plans-error">
          <p>{plansError}</p>
        </div>
      ) : null}
      {plans.length ? (
        <section aria-labelledby="plans-heading">
          <h2 id="plans-heading" className="section-title">
            Plans
          </h2>
          <ul className="plans" data-testid="plans">
            {plans.map((plan) => (
              <li key={plan.name} className="plan">
                <h3 className="plan__name">{plan.name}</h3>
                <p className="plan__price">{formatPrice(plan.priceCents, plan.currency, plan.interval)}</p>
                {plan.description ? <p>{plan.description}</p> : null}
                {plan.features.length ? (
                  <ul className="plan__features">
                    {plan.features.map((f) => (
                      <li key={f}>{f}</li>
                    ))}
                  </ul>
                ) : null}
                {active ? null : <SubscribeButton plan={plan} />}
              </li>
            ))}
          </ul>
          {signedIn ? null : <p>You'll create a free account (or sign in) before paying.</p>}
        </section>
      ) : null}
      {/* The test id predates checkout (tests/e2e/reader.test.ts looks for it); it now marks the free options. */}
      <section aria-labelledby="checkout-heading" className="notice" data-testid="subscribe-coming-soon">
        <h2 id="checkout-heading">{comingSoon ? "Paid subscriptions are coming soon" : paidMember ? "Follow by feed" : "Follow for free"}</h2>
        <p>
          {paidMember
            ? "The feeds below carry new posts as they are published."
            : `${comingSoon ? "Until they are here, every" : "Not ready to subscribe? Every"} post that isn’t marked for subscribers is free to read, and the feeds below carry new posts as they are published.`}
        </p>
        <ul>
          <li>
            <a href={p.feed("rss")}>Follow by RSS</a>
          </li>
          <li>
            <a href={p.feed("atom")}>Follow by Atom</a>
          </li>
        </ul>
      </section>
      {signedIn ? null : (
        <p>
          Already a subscriber? <a href={`/login?redirectTo=${encodeURIComponent(p.home)}`}>Sign in</a> to read featured posts.
        </p>
      )}
    </>
  );
}

export const meta: MetaFunction<typeof loader> = ({ data, matches }) => {
  const site = siteFromMatches(matches);
  if (!site || !data) return errorMeta(site);
  return pageMeta(site, {
    title: `Subscribe · ${site.name}`,
    description: `Subscribe to ${site.name}.`,
    canonical: readerPaths(site.canonicalBase).subscribe,
  });
};

export function ErrorBoundary() {
  return <ReaderError site={useSite()} error={useRouteError()} />;
}
