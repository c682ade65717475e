// Studio loaders and actions: the signed-in user (or a redirect to /login), the site from the URL,
// and Convex failures turned into HTTP answers. Convex decides every permission; these helpers
// only choose what the page shows (style guide §3.6, §5).
import { data } from "@remix-run/node";
import type { Params } from "@remix-run/react";
import type { Id, TableNames } from "../../convex/_generated/dataModel";
import { requireSameOrigin } from "../auth/csrf.server";
import { requireUser, type UserContext } from "../auth/session.server";
import { errorCode, formErrorsFrom, type FormErrors } from "./errors";

export type StudioContext = UserContext & { siteId: Id<"sites"> };

/** Studio pages are per-user: never cached by shared caches (style guide §3.8). */
export function privateHeaders(headers: Headers): Headers {
  headers.set("Cache-Control", "private, no-store");
  return headers;
}

export function notFound(message = "Not Found"): Response {
  return new Response(message, { status: 404, statusText: "Not Found", headers: { "Content-Type": "text/plain; charset=utf-8" } });
}

export function forbidden(message = "Forbidden"): Response {
  return new Response(message, { status: 403, statusText: "Forbidden", headers: { "Content-Type": "text/plain; charset=utf-8" } });
}

/** A URL id that cannot name a document (Convex ids are short base32 strings). */
function implausibleId(id: string | undefined): boolean {
  return !id || id.length > 64 || !/^[a-z0-9]+$/i.test(id);
}

/** The signed-in user and the site of `params.siteId` (a malformed id is a 404 straight away). */
export async function requireStudio(request: Request, params: Params): Promise<StudioContext> {
  const ctx = await requireUser(request);
  if (implausibleId(params.siteId)) throw notFound();
  return { ...ctx, siteId: params.siteId as Id<"sites"> };
}

/** For actions: same-origin check first, then the user and site. */
export async function requireStudioAction(request: Request, params: Params): Promise<StudioContext> {
  requireSameOrigin(request);
  return requireStudio(request, params);
}

/** `params[name]` as an id of a table (404 when it cannot be one). */
export function idParam<T extends TableNames>(params: Params, name: string): Id<T> {
  const value = params[name];
  if (implausibleId(value)) throw notFound();
  return value as Id<T>;
}

function isArgumentError(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /ArgumentValidationError|does not match validator|Invalid argument|Found ID ".*" from table/i.test(message);
}

/**
 * Runs a loader's Convex read: NOT_FOUND (or an id Convex refuses) becomes a 404 page, FORBIDDEN a
 * 403, UNAUTHENTICATED a trip to /login; anything else is a real failure (500).
 */
export async function loadOrThrow<T>(read: Promise<T>): Promise<T> {
  try {
    return await read;
  } catch (error) {
    const code = errorCode(error);
    if (code === "NOT_FOUND" || (code === null && isArgumentError(error))) throw notFound();
    if (code === "FORBIDDEN") throw forbidden();
    throw error;
  }
}

/** Like loadOrThrow, but a FORBIDDEN read is `null` (a panel the role may not see). */
export async function loadIfAllowed<T>(read: Promise<T>): Promise<T | null> {
  try {
    return await read;
  } catch (error) {
    if (errorCode(error) === "FORBIDDEN") return null;
    return loadOrThrow(Promise.reject(error));
  }
}

export type ActionReply<I extends string = string> = { intent: I; ok?: boolean; errors?: FormErrors; notice?: string };

/** An action's answer with the user's (maybe refreshed) cookies. */
export function reply<I extends string>(result: ActionReply<I>, headers: Headers, status = 200) {
  return data(result, { status, headers: privateHeaders(headers) });
}

/** Runs a mutation for a form: its failure becomes form errors (400) instead of an error page. */
export async function attempt<I extends string>(
  intent: I,
  headers: Headers,
  run: () => Promise<string | void>,
  options: { fieldMap?: Record<string, string>; fields?: readonly string[] } = {},
) {
  try {
    const notice = await run();
    return reply({ intent, ok: true, notice: notice || undefined }, headers);
  } catch (error) {
    if (error instanceof Response) throw error;
    const code = errorCode(error);
    if (code === "UNAUTHENTICATED") throw error;
    return reply({ intent, errors: formErrorsFrom(error, options.fieldMap, options.fields) }, headers, code === "FORBIDDEN" ? 403 : 400);
  }
}

/** A trimmed text field ("" when absent), at most `max` characters. */
export function field(form: FormData, name: string, max = 1000): string {
  const value = form.get(name);
  return typeof value === "string" ? value.trim().slice(0, max) : "";
}
