import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import {
  can,
  mayInvite,
  mayManageMember,
  PERMISSION_NAMES,
  ROLES_DOC_BEGIN,
  ROLES_DOC_END,
  rolesTableMarkdown,
  SITE_ROLES,
  seesOnlyOwnPosts,
  withRolesTable,
} from "./shared/roles";
import { sourceFiles } from "../tests/support/sources";

// convex/shared/roles.ts is the one source of truth for roles: these tests fail when a copy of it
// appears (docs/roles.md, a second ranking, a hand-written role check) or a row enforces nothing.

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const ROLES_FILE = path.join("convex", "shared", "roles.ts");


const files = [...sourceFiles(path.join(repo, "convex")), ...sourceFiles(path.join(repo, "app"))].map((f) => ({
  rel: path.relative(repo, f),
  text: readFileSync(f, "utf8"),
}));

describe("roles: one source of truth", () => {
  test("docs/roles.md's permission table is the one generated from PERMISSIONS (npm run docs:roles)", () => {
    const doc = readFileSync(path.join(repo, "docs", "roles.md"), "utf8");
    const begin = doc.indexOf(ROLES_DOC_BEGIN);
    const end = doc.indexOf(ROLES_DOC_END);
    expect(begin, "docs/roles.md lost its roles-table markers").toBeGreaterThanOrEqual(0);
    expect(doc.slice(begin + ROLES_DOC_BEGIN.length, end).trim()).toBe(rolesTableMarkdown());
    expect(withRolesTable(doc)).toBe(doc);
  });

  test("the generated table has one row per permission and a ✓ exactly where `can` says so", () => {
    const rows = rolesTableMarkdown().split("\n").slice(2);
    expect(rows).toHaveLength(PERMISSION_NAMES.length);
    rows.forEach((row, i) => {
      const cells = row.split("|").slice(1, -1).map((c) => c.trim());
      expect(cells[1]).toBe(`\`${PERMISSION_NAMES[i]}\``);
      SITE_ROLES.forEach((role, j) => {
        const cell = cells[2 + j];
        // A note may qualify a granted cell ("✓ (not owners)") or say what a role does instead.
        if (can(role, PERMISSION_NAMES[i])) expect(cell.startsWith("✓"), `${PERMISSION_NAMES[i]} × ${role}`).toBe(true);
        else expect(cell.startsWith("✓"), `${PERMISSION_NAMES[i]} × ${role}`).toBe(false);
      });
    });
  });

  test("every permission is checked somewhere in convex/ (no row that nothing enforces)", () => {
    const roles = files.find((f) => f.rel === ROLES_FILE)!;
    // The table itself does not count as a use; the helpers below it in roles.ts do.
    const tableStart = roles.text.indexOf("export const PERMISSIONS = {");
    const tableEnd = roles.text.indexOf("} as const satisfies", tableStart);
    expect(tableStart).toBeGreaterThan(0);
    const outsideTable = roles.text.slice(0, tableStart) + roles.text.slice(tableEnd);
    const convexTexts = files.filter((f) => f.rel.startsWith("convex") && f.rel !== ROLES_FILE).map((f) => f.text);
    const unused = PERMISSION_NAMES.filter((p) => ![outsideTable, ...convexTexts].some((t) => t.includes(`"${p}"`)));
    expect(unused).toEqual([]);
  });

  test("no second role ranking, hand-written role list or minimum-role check outside convex/shared/roles.ts", () => {
    const SITE_ROLES_LIST = path.join("convex", "shared", "constants.ts");
    const copies = files
      .filter((f) => f.rel !== ROLES_FILE && f.rel !== SITE_ROLES_LIST)
      .filter((f) => /SITE_ROLES\.length\s*-|roleAtLeast\(|requireRole\(|\[\s*"owner",\s*"admin"/.test(f.text))
      .map((f) => f.rel);
    expect(copies).toEqual([]);
  });
});

describe("roles: the shared rules", () => {
  test("below editor a member sees only their own posts", () => {
    expect(SITE_ROLES.filter(seesOnlyOwnPosts)).toEqual(["author", "contributor"]);
  });

  test("who may invite whom: owners any role, admins any but owner, others nobody", () => {
    const invitable = Object.fromEntries(SITE_ROLES.map((r) => [r, SITE_ROLES.filter((to) => mayInvite(r, to))]));
    expect(invitable).toEqual({
      owner: ["owner", "admin", "editor", "author", "contributor"],
      admin: ["admin", "editor", "author", "contributor"],
      editor: [],
      author: [],
      contributor: [],
    });
  });

  test("who may manage whom (docs/roles.md): owners anyone; admins those ranked below them and themselves, downwards", () => {
    // Removal (no new role).
    expect(mayManageMember("owner", "owner", { self: false })).toBe(true);
    expect(mayManageMember("admin", "owner", { self: false })).toBe(false);
    expect(mayManageMember("admin", "admin", { self: false })).toBe(false);
    expect(mayManageMember("admin", "editor", { self: false })).toBe(true);
    expect(mayManageMember("editor", "author", { self: false })).toBe(false);
    // Role changes: an admin may raise an editor to admin, never to owner; their own role only goes down.
    expect(mayManageMember("admin", "editor", { self: false, to: "admin" })).toBe(true);
    expect(mayManageMember("admin", "editor", { self: false, to: "owner" })).toBe(false);
    expect(SITE_ROLES.filter((to) => mayManageMember("admin", "admin", { self: true, to }))).toEqual([
      "admin",
      "editor",
      "author",
      "contributor",
    ]);
    expect(SITE_ROLES.filter((to) => mayManageMember("owner", "admin", { self: false, to }))).toEqual([...SITE_ROLES]);
  });
});
