import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData, useLocation, useRouteError } from "@remix-run/react";
import { readerMembership } from "../reader/audience.server";
import { AdjacentPosts, PostCardView, PostHead, ReaderError, TagList, postDek } from "../reader/components";
import { BillingError, CheckoutThanks, Paywall } from "../reader/paywall";
import { checkoutPlans, handleBillingAction, readerSubscription } from "../reader/billing.server";
import { cachedPage, notFound, readerHeaders } from "../reader/http.server";
import { legacyRedirect, pathBelowSite } from "../reader/legacy.server";
import { requireSite, toCard } from "../reader/pages.server";
import { readerPaths } from "../reader/paths";
import { loadPostPage } from "../reader/post-page.server";
import { JoinForm } from "../reader/join-form";
import { errorMeta, siteFromMatches, useSite } from "../reader/route-helpers";
import { PAYWALLED_CLASS, articleMeta, blogPostingJsonLd, pageMeta, postImage } from "../reader/seo";
import { VIEW_HEADER } from "../reader/front.server";
import { countView } from "../reader/views.server";

// /{site}/{postSlug}: a post. The body is rendered (sanitized) on the server from the TipTap JSON
// that reader:postPage returns only to entitled viewers; a locked post's loader data has no body
// at all, so neither the HTML nor the single-fetch .data response can carry it. Old slugs 301 to
// the current one. Related posts share the post's first tag. Previous/next link the published posts
// just older and newer, sent as cards like every list: never a body. All three come from one query
// (reader:postPage). The body's HTML is rendered once per version and process and reused for every
// reader Convex entitles to it (post-page.server.ts); Convex decides that on every request.

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { client, shared, site, resolved } = await requireSite(request, params);
  const slug = params.postSlug ?? "";
  // The post, related posts and previous/next in one call shared by every viewer, and for a signed-in
  // reader of a locked post, whether they may read it (issue #18, ADR 016). The body's HTML is
  // rendered once per version and shared by the readers Convex entitles to it.
  const { found, bodyHtml } = await loadPostPage(client, shared, site.slug, slug);
  // Not a post here: maybe an imported post's old address (Ghost "/slug/" whose slug clashed).
  if (!found) throw (await legacyRedirect(client, site, pathBelowSite(request))) ?? notFound("Post not found");
  if (found.kind === "redirect") throw redirect(readerPaths(site.base).post(found.slug), 301);
  const { post, adjacent } = found;
  const related = found.related.map(toCard);
  const [plans, subscription, membership] = await Promise.all([
    post.locked ? checkoutPlans(client, site.slug) : null,
    post.locked ? readerSubscription(client, site.slug) : null,
    readerMembership(client, site.slug, params.postSlug),
  ]);
  const payload = {
    post: {
      ...toCard(post),
      // Whether this viewer may read it (a card alone says nothing of the viewer: pages.server.ts toCard).
      locked: post.locked,
      updatedAt: post.updatedAt,
      seoTitle: post.seoTitle,
      seoDescription: post.seoDescription,
      // Shown as a dek (subtitle) only when the author wrote it: an automatic excerpt repeats the first paragraph.
      dek: postDek(post),
      coverImageCaption: post.coverImageCaption ?? null,
      // Present only when Convex said the viewer is entitled to the body (post-page.server.ts).
      bodyHtml,
    },
    related,
    // Links to the older and newer posts (null at either end).
    adjacent,
    plans: plans ?? [],
    subscription,
    signedIn: client.signedIn,
    membership,
  };
  const setCookie = countView(request, site.slug, post._id);
  // Tells the response cache (front.server.ts) that a reader's first look at this post counts a view.
  return cachedPage(request, client, payload, { site, payload }, setCookie, { [VIEW_HEADER]: `${site.slug} ${post._id}` });
}

export const headers = readerHeaders;

/** The paywall's Subscribe / Manage subscription forms: off to Stripe, back to this post. */
export async function action({ request, params }: ActionFunctionArgs) {
  const { site } = await requireSite(request, params);
  return handleBillingAction(request, site.slug, readerPaths(site.base).post(params.postSlug ?? ""));
}

export default function PostPage() {
  const { post, related, adjacent, plans, subscription, signedIn, membership } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const site = useSite()!;
  const p = readerPaths(site.base);
  return (
    <>
      <CheckoutThanks site={site} search={useLocation().search} />
      <article className="post" aria-labelledby="post-title">
        <PostHead site={site} post={post} dek={post.dek} caption={post.coverImageCaption} updatedAt={post.updatedAt} />
        {post.bodyHtml !== null ? <BillingError error={actionData?.billingError} manage={actionData?.manage} /> : null}
        {post.bodyHtml !== null ? (
          <div
            className={`prose post__body${post.featured ? ` ${PAYWALLED_CLASS}` : ""}`}
            data-testid="post-body"
            dangerouslySetInnerHTML={{ __html: post.bodyHtml }}
          />
        ) : (
          <Paywall
            site={site}
            signedIn={signedIn}
            redirectTo={p.post(post.slug)}
            plans={plans}
            subscription={subscription}
            error={actionData?.billingError}
            errorManage={actionData?.manage}
          />
        )}
        <footer className="post__footer">
          <TagList site={site} tags={post.tags} />
          {post.authorSlug ? (
            <p>
              More from <a href={p.author(post.authorSlug)}>{post.authorName}</a>
            </p>
          ) : null}
        </footer>
      </article>
      <JoinForm site={site} membership={membership} idPrefix="post" />
      <AdjacentPosts site={site} previous={adjacent.previous} next={adjacent.next} />
      {related.length ? (
        <section aria-labelledby="related-heading" className="related">
          <h2 id="related-heading" className="section-title">
            Related posts
          </h2>
          <ul className={site.theme.homeLayout === "list" ? "related__list" : "post-grid related__list"}>
            {related.map((r) => (
              <li key={r.slug}>
                <PostCardView site={site} post={r} headingLevel={3} shape={site.theme.homeLayout === "list" ? "row" : "tile"} />
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </>
  );
}

export const meta: MetaFunction<typeof loader> = ({ data, matches }) => {
  const site = siteFromMatches(matches);
  if (!site || !data) return errorMeta(site);
  const { post } = data;
  const url = readerPaths(site.canonicalBase).post(post.slug);
  const ld = { ...post, seoDescription: post.seoDescription };
  return pageMeta(site, {
    title: `${post.seoTitle || post.title} · ${site.name}`,
    description: post.seoDescription || post.excerpt,
    canonical: url,
    type: "article",
    image: postImage(site, post),
    feeds: { title: site.name },
    extra: [...articleMeta(ld, site), { "script:ld+json": blogPostingJsonLd(ld, site, url) }],
  });
};

export function ErrorBoundary() {
  return <ReaderError site={useSite()} error={useRouteError()} />;
}
