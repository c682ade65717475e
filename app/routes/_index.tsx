import type { MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import type { CSSProperties } from "react";
import type { FunctionReturnType } from "convex/server";
import { api } from "../../convex/_generated/api";
import { initialsOf } from "../auth/forms";
import { anonymousReaderClient } from "../reader/client.server";
import { formatDate } from "../reader/format";
import { accentPair } from "../reader/theme";
import { Live } from "../utils/live";

// The platform home: what Pressroom is, in one screen, the way in ("Start a publication" → sign-up
// → studio), and the newest publications with their latest posts (sites:listFeatured, bounded).
// The loader asks as nobody (the shared query cache), so the list is the same for every visitor.

export const meta: MetaFunction = () => [
  { title: "Pressroom: independent publications" },
  { name: "description", content: "Pressroom hosts independent publications: write, publish, send newsletters, and get paid by readers." },
];

export async function loader() {
  const sites = await anonymousReaderClient().query(api.sites.listFeatured, {});
  return { sites };
}

type Featured = FunctionReturnType<typeof api.sites.listFeatured>[number];

const VALUES = [
  { icon: "✉", title: "Email newsletters", text: "Every post can go to your readers' inboxes, with free and paid lists." },
  { icon: "$", title: "Paid subscriptions", text: "Readers subscribe through Stripe; subscriber-only posts stay locked for everyone else." },
  { icon: "◎", title: "Your domain, your design", text: "Pick a theme, fonts and colours, and publish on your own domain." },
];

export default function Index() {
  const { sites } = useLoaderData<typeof loader>();
  return (
    <main id="main" className="home">
      <section className="hero" aria-labelledby="home-title">
        <h1 id="home-title" className="hero__title">
          Pressroom
        </h1>
        <p className="hero__pitch">
          A home for independent publications. Write in a calm editor, publish a site readers choose for how it looks, send every post
          by email, and get paid by the people who read you.
        </p>
        <div className="hero__actions">
          <Link to="/signup?intent=publication" className="btn btn--primary">
            Start a publication
          </Link>
          <Link to="/login" className="btn btn--secondary">
            Sign in
          </Link>
        </div>
      </section>
      <ul className="values" aria-label="What you get">
        {VALUES.map((v) => (
          <li key={v.title} className="value">
            <span className="value__icon" aria-hidden="true">
              {v.icon}
            </span>
            <h2 className="value__title">{v.title}</h2>
            <p>{v.text}</p>
          </li>
        ))}
      </ul>
      <section aria-labelledby="directory-heading">
        <h2 id="directory-heading" className="featured__title">
          Publications on Pressroom
        </h2>
        <Live query={api.sites.listFeatured} args={{}} initial={sites}>
          {(list) =>
            list.length === 0 ? (
              <p data-testid="directory-empty" className="home__empty">
                No publications yet.
              </p>
            ) : (
              <ul data-testid="directory" className="pub-grid">
                {list.map((s) => (
                  <li key={s.slug}>
                    <PublicationCard site={s} />
                  </li>
                ))}
              </ul>
            )
          }
        </Live>
      </section>
    </main>
  );
}

function PublicationCard({ site }: { site: Featured }) {
  const home = `/${site.slug}/`;
  const style = { "--pub-accent": accentPair(site.accentColor).light } as CSSProperties;
  return (
    <article className="pub-card" style={style} data-testid="publication-card">
      <div className="pub-card__head">
        {site.logoUrl ? (
          <img src={site.logoUrl} alt="" className="pub-card__logo" width={44} height={44} loading="lazy" />
        ) : (
          <span className="pub-card__initials" aria-hidden="true">
            {initialsOf(site.name)}
          </span>
        )}
        <h3 className="pub-card__name">
          <a href={home}>{site.name}</a>
        </h3>
      </div>
      {site.description ? <p className="pub-card__desc">{site.description}</p> : null}
      {site.posts.length ? (
        <ul className="pub-card__posts" aria-label={`Latest from ${site.name}`}>
          {site.posts.map((p) => (
            <li key={p.slug}>
              <a href={`${home}${encodeURIComponent(p.slug)}`}>{p.title}</a>
              <time dateTime={new Date(p.publishedAt).toISOString()}>{formatDate(p.publishedAt)}</time>
            </li>
          ))}
        </ul>
      ) : (
        <p className="pub-card__empty">No posts yet.</p>
      )}
    </article>
  );
}
