// The one source of truth for per-site roles: their ranking, what each may do (PERMISSIONS, a
// role × action table), who may manage whom, and which posts a member sees. Imported by Convex
// (convex/lib/access.ts, convex/lib/functions.ts, the model) and by the studio UI; docs/roles.md is
// generated from it (`npm run docs:roles`, checked by convex/roles.test.ts). Pure: no Convex imports.
import { SITE_ROLES, type SiteRole } from "./constants";

export { SITE_ROLES, type SiteRole };

/** Each role's rank: higher is stronger (owner > admin > editor > author > contributor). */
export const ROLE_RANK: Readonly<Record<SiteRole, number>> = Object.fromEntries(
  SITE_ROLES.map((r, i) => [r, SITE_ROLES.length - i]),
) as Record<SiteRole, number>;

/** Whether `role` is at least `minimum`. */
export function roleAtLeast(role: SiteRole, minimum: SiteRole): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[minimum];
}

export const ROLE_LABELS: Readonly<Record<SiteRole, string>> = {
  owner: "Owner",
  admin: "Admin",
  editor: "Editor",
  author: "Author",
  contributor: "Contributor",
};

interface PermissionRule {
  /** The weakest role that has the permission; every stronger role has it too. */
  minimum: SiteRole;
  /** The row of docs/roles.md. */
  doc: string;
  /** A cell of docs/roles.md that says more than ✓ (a limit on the permission, or what the role does instead). */
  notes?: Partial<Record<SiteRole, string>>;
}

/**
 * Every per-site permission Convex checks, as the weakest role that has it. The table is by rank
 * because every rule today is: a stronger role can do all a weaker one can.
 */
export const PERMISSIONS = {
  "post.create": { minimum: "contributor", doc: "create drafts" },
  "post.editOwnDraft": { minimum: "contributor", doc: "edit own drafts" },
  "post.submitForReview": { minimum: "contributor", doc: "submit own drafts for review" },
  "post.editOwnPublished": { minimum: "author", doc: "edit own posts once published or scheduled" },
  "post.openAny": {
    minimum: "editor",
    doc: "see and open others' posts in the studio (drafts, unpublished edits, revisions)",
  },
  "post.editAny": { minimum: "editor", doc: "edit anyone's posts" },
  "post.publishOwn": {
    minimum: "author",
    doc: "publish, schedule, unpublish, archive, delete own posts",
    notes: { contributor: "submit for review" },
  },
  "post.publishAny": { minimum: "editor", doc: "the same for anyone's posts" },
  "post.review": { minimum: "editor", doc: "review queue: approve, return with a comment" },
  "post.feature": { minimum: "editor", doc: "mark posts featured (needs an active plan)" },
  "tag.create": { minimum: "author", doc: "create tags" },
  "taxonomy.manage": { minimum: "editor", doc: "rename, merge, delete tags; manage categories" },
  "media.upload": { minimum: "contributor", doc: "upload images (post covers, the logo)" },
  "member.invite": { minimum: "admin", doc: "invite members, see and withdraw invitations", notes: { admin: "✓ (not owners)" } },
  "member.manage": { minimum: "admin", doc: "change members' roles, remove members", notes: { admin: "✓ (ranked below them)" } },
  "member.owners": { minimum: "owner", doc: "grant or revoke owner; manage owners" },
  "site.settings": { minimum: "admin", doc: "site settings and custom domain" },
  "billing.manage": { minimum: "admin", doc: "plans and revenue" },
  "audit.read": { minimum: "admin", doc: "audit log" },
  // Editor: editors run what goes out (they will send posts by email), so they see who receives it;
  // the list is personal data, so authors and contributors do not.
  "audience.manage": { minimum: "editor", doc: "audience members (list, search, add, comp) and newsletters" },
  // Owner: an import writes posts under other people's names and an export carries every member's address.
  "site.import": { minimum: "owner", doc: "import content from Ghost, WordPress, Substack, Medium" },
  "site.export": { minimum: "owner", doc: "export the whole site (Ghost JSON, Markdown zip with images); the members CSV is audience.manage" },
} as const satisfies Record<string, PermissionRule>;

export type Permission = keyof typeof PERMISSIONS;
export const PERMISSION_NAMES = Object.keys(PERMISSIONS) as Permission[];

/** Whether a member with `role` has `permission` (PERMISSIONS). */
export function can(role: SiteRole, permission: Permission): boolean {
  return roleAtLeast(role, PERMISSIONS[permission].minimum);
}

/**
 * The one rule for "contributors see only their own posts": below `post.openAny` (editor), a member
 * lists, opens and checks slugs of their own posts only. Convex filters with it; the studio shows
 * the narrower filters with it.
 */
export function seesOnlyOwnPosts(role: SiteRole): boolean {
  return !can(role, "post.openAny");
}

/** Whether a member with `role` may invite someone as `invitedRole` (or withdraw such an invitation). */
export function mayInvite(role: SiteRole, invitedRole: SiteRole): boolean {
  if (!can(role, "member.invite")) return false;
  return invitedRole !== "owner" || can(role, "member.owners");
}

/**
 * Whether `actor` may change `target`'s role to `to`, or remove `target` (`to` undefined). Nobody
 * gains or hands out more power than they hold: owners (`member.owners`) may do anything (the last
 * owner is protected separately: LAST_OWNER); below that, never the owner role on either side, never
 * grant above one's own role, one's own role only goes down, and others only when ranked strictly
 * below the actor.
 */
export function mayManageMember(actor: SiteRole, target: SiteRole, opts: { self: boolean; to?: SiteRole }): boolean {
  if (!can(actor, "member.manage")) return false;
  if (can(actor, "member.owners")) return true;
  const { self, to } = opts;
  if (target === "owner" || to === "owner") return false;
  if (to !== undefined) {
    if (ROLE_RANK[to] > ROLE_RANK[actor]) return false;
    if (self && ROLE_RANK[to] > ROLE_RANK[target]) return false;
  }
  return self || ROLE_RANK[target] < ROLE_RANK[actor];
}

// --- docs/roles.md -------------------------------------------------------------------------------

export const ROLES_DOC_BEGIN = "<!-- roles-table:begin (generated from convex/shared/roles.ts by `npm run docs:roles`; do not edit) -->";
export const ROLES_DOC_END = "<!-- roles-table:end -->";

/** The permission table of docs/roles.md, as Markdown: one row per permission, one column per role. */
export function rolesTableMarkdown(): string {
  const head = `| action | permission | ${SITE_ROLES.join(" | ")} |`;
  const rule = `| --- | --- | ${SITE_ROLES.map(() => ":-:").join(" | ")} |`;
  const rows = PERMISSION_NAMES.map((name) => {
    const p: PermissionRule = PERMISSIONS[name];
    const cells = SITE_ROLES.map((r) => p.notes?.[r] ?? (can(r, name) ? "✓" : ""));
    return `| ${p.doc} | \`${name}\` | ${cells.join(" | ")} |`;
  });
  return [head, rule, ...rows].join("\n");
}

/** `doc` with the generated table between its markers replaced by the current one. */
export function withRolesTable(doc: string): string {
  const begin = doc.indexOf(ROLES_DOC_BEGIN);
  const end = doc.indexOf(ROLES_DOC_END);
  if (begin < 0 || end < begin) throw new Error("docs/roles.md has no roles-table markers");
  return `${doc.slice(0, begin + ROLES_DOC_BEGIN.length)}\n${rolesTableMarkdown()}\n${doc.slice(end)}`;
}
