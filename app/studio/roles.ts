// What each role may do, as the studio hides and shows controls (docs/roles.md). Convex enforces
// all of it; this only keeps buttons away from people who would get FORBIDDEN.
import { SITE_ROLES, type SiteRole } from "../../convex/shared/constants";

export type { SiteRole };

const RANK = Object.fromEntries(SITE_ROLES.map((r, i) => [r, SITE_ROLES.length - i])) as Record<SiteRole, number>;

/** Whether `role` is at least `minimum` (owner > admin > editor > author > contributor). */
export function roleAtLeast(role: SiteRole, minimum: SiteRole): boolean {
  return RANK[role] >= RANK[minimum];
}

export const can = {
  review: (role: SiteRole) => roleAtLeast(role, "editor"),
  createTags: (role: SiteRole) => roleAtLeast(role, "author"),
  manageTags: (role: SiteRole) => roleAtLeast(role, "editor"),
  manageCategories: (role: SiteRole) => roleAtLeast(role, "editor"),
  manageMembers: (role: SiteRole) => roleAtLeast(role, "admin"),
  settings: (role: SiteRole) => roleAtLeast(role, "admin"),
  plans: (role: SiteRole) => roleAtLeast(role, "admin"),
  audit: (role: SiteRole) => roleAtLeast(role, "admin"),
  /** Roles `role` may hand out in an invitation or a role change. */
  grantableRoles: (role: SiteRole): SiteRole[] =>
    role === "owner" ? [...SITE_ROLES] : role === "admin" ? SITE_ROLES.filter((r) => r !== "owner") : [],
};

export const ROLE_LABELS: Record<SiteRole, string> = {
  owner: "Owner",
  admin: "Admin",
  editor: "Editor",
  author: "Author",
  contributor: "Contributor",
};
