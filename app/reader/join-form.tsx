import { useRouteLoaderData } from "@remix-run/react";
import { FIELDS, fieldProps } from "../../convex/shared/fields";
import { readerPaths } from "./paths";
import type { ReaderViewer, SiteData } from "./types";

// The join form of reader pages (home, end of post, /subscribe): a plain POST form, no JavaScript
// needed. Anonymous readers all get the same markup (the page stays shared-cacheable); a signed-in
// reader's page is private, and shows either a one-click button or that they already follow.

/** What the join form shows a reader: null for anonymous readers (audience.server.ts readerMembership). */
export type MembershipView = { following: boolean } | null;

/** The reader header's viewer, from the $site layout's loader (viewer.server.ts); null when signed out. */
export function useViewer(): ReaderViewer | null {
  const data = useRouteLoaderData("routes/$site") as { viewer?: ReaderViewer | null } | undefined;
  return data?.viewer ?? null;
}

export function JoinForm({
  site,
  membership,
  idPrefix,
  title = `Get ${site.name} by email`,
}: {
  site: SiteData;
  /** null: anonymous reader (the same form for everyone). */
  membership: MembershipView;
  /** Keeps input ids unique on the page. */
  idPrefix: string;
  title?: string;
}) {
  const p = readerPaths(site.base);
  const headingId = `${idPrefix}-join-heading`;
  const viewer = useViewer();
  const paid = viewer?.membership === "paid" || viewer?.membership === "comped";
  // Paid and comped members are past "follow for free": they see that they follow, or nothing.
  if (paid && !membership?.following) return null;
  if (membership?.following) {
    return (
      <section className="join" aria-labelledby={headingId} data-testid="join-following">
        <h2 id={headingId} className="join__title">
          You follow {site.name}
        </h2>
        <p>
          New posts come to your inbox. <a href={p.emailPreferences}>Manage email preferences</a>
        </p>
      </section>
    );
  }
  return (
    <section className="join" aria-labelledby={headingId} data-testid="join-form">
      <h2 id={headingId} className="join__title">
        {title}
      </h2>
      <p>Free: new posts in your inbox. No password needed.</p>
      {membership ? (
        // Signed in: their account's verified address joins in one click (the code step's action).
        <form method="post" action={p.emailConfirm()} className="join__form">
          <input type="hidden" name="intent" value="oneClick" />
          <button type="submit" className="button">
            Follow {site.name} by email
          </button>
        </form>
      ) : (
        <form method="post" action={p.emailJoin} className="join__form">
          <label htmlFor={`${idPrefix}-join-email`} className="join__label">
            Email address
          </label>
          <input id={`${idPrefix}-join-email`} type="email" name="email" required {...fieldProps(FIELDS.email)} autoComplete="email" placeholder="you@example.com" />
          <button type="submit" className="button">
            Join for free
          </button>
        </form>
      )}
    </section>
  );
}
