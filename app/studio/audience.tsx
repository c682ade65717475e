// Pieces shared by the studio's audience pages (ADR 012): labels for a member's access, email
// state and source, and the list's filters. Audience members are the publication's readers who
// follow it; the site's staff are on the Members page (studio.$siteId.members.tsx).
import type { AudienceAccess, AudienceEmailState, AudienceSource } from "../../convex/validators";

/** The list's filters, as audience:list takes them (convex/model/audienceStudio.ts AUDIENCE_FILTERS). */
export const AUDIENCE_FILTER_TABS = [
  { value: "all", label: "All" },
  { value: "free", label: "Free" },
  { value: "paid", label: "Paid" },
  { value: "comped", label: "Comped" },
  { value: "subscribed", label: "Subscribed" },
  { value: "unsubscribed", label: "Unsubscribed" },
  { value: "bounced", label: "Bounced" },
  { value: "complained", label: "Complained" },
] as const;
export type AudienceFilter = (typeof AUDIENCE_FILTER_TABS)[number]["value"];

/** A filter from the query string ("all" for a missing or unknown one). */
export function audienceFilterParam(value: string | null): AudienceFilter {
  return AUDIENCE_FILTER_TABS.some((f) => f.value === value) ? (value as AudienceFilter) : "all";
}

export const ACCESS_LABEL: Record<AudienceAccess, string> = { free: "Free", paid: "Paid", comped: "Comped" };

export const EMAIL_STATE_LABEL: Record<AudienceEmailState, string> = {
  subscribed: "Subscribed",
  unsubscribed: "Unsubscribed",
  bounced: "Bounced",
  complained: "Marked as spam",
};

export const SOURCE_LABEL: Record<AudienceSource, string> = {
  form: "Signup form",
  signedIn: "Signed-in reader",
  import: "Import",
  manual: "Added by staff",
  checkout: "Paid checkout",
};

export function AccessBadge({ access }: { access: AudienceAccess }) {
  return (
    <span className={`st-badge st-badge--access-${access}`} data-testid="member-access">
      {ACCESS_LABEL[access]}
    </span>
  );
}

export function EmailStateBadge({ state }: { state: AudienceEmailState }) {
  return (
    <span className={`st-badge st-badge--email-${state}`} data-testid="member-email-state">
      {EMAIL_STATE_LABEL[state]}
    </span>
  );
}
