import type { ExecContext } from "./context.js";
import { UserError } from "./transaction.js";

/**
 * `1.0/getFunctionMetadata` and `1.0/auditLog`, as Convex answers them (get-convex/convex-backend at
 * 94a42c3db8d7, crates/isolate/src/environment/udf/async_syscall.rs and action/async_syscall.rs).
 */

/**
 * `{ name, componentPath }`: the function's path stripped as Convex's `UdfPath::strip` does (a
 * default export is named by its module alone). Every HTTP action runs as the default export of
 * `http.js`, so its name is "http" whatever the route; the `convex` package adds
 * `type: "action"` and `visibility: "public"` for it.
 */
export function functionMetadata(ctx: ExecContext): { name: string; componentPath: string } {
  const name = ctx.kind === "httpAction" ? "http" : ctx.path.replace(/:default$/, "");
  return { name, componentPath: ctx.componentPath ?? "" };
}

/** Convex's `AUDIT_LOG_MAX_HEAP_SIZE_BYTES`: audit log bodies one execution may emit. */
const AUDIT_LOG_MAX_BYTES = 4_000_000;
const auditBytes = new WeakMap<ExecContext, number>();

/**
 * `log.audit(body)`: accepted in queries and mutations and refused in actions, as in Convex. Convex
 * sends audit logs to its audit log stream (an Enterprise feature); this backend has none, so the
 * body is checked and counted against Convex's limit, then dropped.
 */
export function auditLog(ctx: ExecContext, args: unknown): string {
  if (ctx.kind === "action" || ctx.kind === "httpAction") throw new UserError("Audit logging is not yet supported in actions");
  if (args === null || typeof args !== "object" || !("body" in args)) {
    throw new UserError("Invalid arguments for `auditLog`: missing field `body`");
  }
  const size = (auditBytes.get(ctx) ?? 0) + JSON.stringify((args as { body: unknown }).body ?? null).length;
  if (size > AUDIT_LOG_MAX_BYTES) throw new UserError("Audit logs exceed function execution limits");
  auditBytes.set(ctx, size);
  return "null";
}
