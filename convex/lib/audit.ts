import type { Id } from "../_generated/dataModel";
import type { MutationCtx } from "../_generated/server";

/** Fields never written to the audit log (bodies are large and may be paid content). */
const OMIT = new Set(["doc", "text", "searchText", "_creationTime"]);

/** `{field: [before, after]}` for the fields that changed. */
export function diffFields(before: Record<string, unknown> | null, after: Record<string, unknown> | null) {
  const diff: Record<string, [unknown, unknown]> = {};
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  for (const k of keys) {
    if (OMIT.has(k)) continue;
    const a = before?.[k];
    const b = after?.[k];
    if (JSON.stringify(a) !== JSON.stringify(b)) diff[k] = [a ?? null, b ?? null];
  }
  return diff;
}

/**
 * Writes an auditLogs row: who did what to which entity, with a JSON diff of changed fields.
 * Call it from every mutation that changes content, membership, billing or settings.
 */
export async function audit(
  ctx: MutationCtx,
  entry: {
    siteId?: Id<"sites">;
    actorId?: Id<"users">;
    action: string;
    entityType: string;
    entityId: string;
    before?: Record<string, unknown> | null;
    after?: Record<string, unknown> | null;
  },
) {
  await ctx.db.insert("auditLogs", {
    siteId: entry.siteId,
    actorId: entry.actorId,
    action: entry.action,
    entityType: entry.entityType,
    entityId: entry.entityId,
    diff: JSON.stringify(diffFields(entry.before ?? null, entry.after ?? null)),
    createdAt: Date.now(),
  });
}
