import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData, useRouteError } from "@remix-run/react";
import { PageHeader, ReaderError } from "../reader/components";
import { cachedPage, readerHeaders } from "../reader/http.server";
import { requireSite, sitePlans } from "../reader/pages.server";
import { formatPrice } from "../reader/format";
import { readerPaths } from "../reader/paths";
import { errorMeta, siteFromMatches, useSite } from "../reader/route-helpers";
import { pageMeta } from "../reader/seo";

// /{site}/subscribe: where the paywall sends readers. It lists the site's active plans (billing's
// plans:listPublic, when the deployment has it) and says plainly that checkout is not open yet;
// without plans it is a "coming soon" page. Checkout itself arrives with billing.

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { client, site } = await requireSite(request, params);
  const plans = await sitePlans(client, site.slug);
  const payload = { signedIn: client.signedIn, plans: plans ?? [] };
  return cachedPage(request, client, payload, { site, payload });
}

export const headers = readerHeaders;

export default function SubscribePage() {
  const { signedIn, plans } = useLoaderData<typeof loader>();
  const site = useSite()!;
  const p = readerPaths(site.base);
  return (
    <>
      <PageHeader kicker="Subscribe" title={`Support ${site.name}`}>
        <p className="lede">Subscribers read every featured post and keep {site.name} independent.</p>
      </PageHeader>
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
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      <section aria-labelledby="checkout-heading" className="notice" data-testid="subscribe-coming-soon">
        <h2 id="checkout-heading">{plans.length ? "Online checkout is coming soon" : "Paid subscriptions are coming soon"}</h2>
        <p>
          Checkout isn’t open yet. Until it is, every post that isn’t marked for subscribers is free to read, and the feeds
          below carry new posts as they are published.
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
