// npm run docs:roles: writes the permission table of docs/roles.md from convex/shared/roles.ts
// (PERMISSIONS). convex/roles.test.ts fails while the two disagree.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { withRolesTable } from "../convex/shared/roles";

const file = fileURLToPath(new URL("../docs/roles.md", import.meta.url));
const before = readFileSync(file, "utf8");
const after = withRolesTable(before);
if (after !== before) writeFileSync(file, after);
console.log(after === before ? "docs/roles.md is up to date" : "docs/roles.md: permission table rewritten");
