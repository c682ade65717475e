// The platform home's publication cards (app/routes/_index.tsx): each publication's logo (or its
// initials on its accent colour), description and latest posts, or the empty state.
import type { FunctionReturnType } from "convex/server";
import type { CSSProperties } from "react";
import type { api } from "../convex/_generated/api";
import { initialsOf } from "./auth/forms";
import { formatDate } from "./reader/format";
import { accentPair } from "./reader/theme";

export type Featured = FunctionReturnType<typeof api.sites.listFeatured>[number];

export function PublicationList({ list }: { list: Featured[] }) {
  return list.length === 0 ? (
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
