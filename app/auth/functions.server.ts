// The contract types of the Convex functions behind accounts and sign-in (convex/auth.ts,
// convex/account.ts, convex/users.ts, convex/emails.ts), read off the generated api so they
// cannot drift from the functions. Call the functions through `api`/`internal` from
// convex/_generated/api, never by name (app/mechanisms.test.ts checks).
import type { FunctionArgs, FunctionReturnType } from "convex/server";
import type { api, internal } from "../../convex/_generated/api";

export type SignInArgs = FunctionArgs<typeof api.auth.signIn>;
export type SignInResult = FunctionReturnType<typeof api.auth.signIn>;
export type Me = NonNullable<FunctionReturnType<typeof api.account.me>>;
export type SessionRow = FunctionReturnType<typeof api.account.listSessions>[number];
export type Profile = FunctionReturnType<typeof api.users.getProfile>;
/** One outbox email (emails:devMailbox). */
export type OutboxEmail = FunctionReturnType<typeof internal.emails.devMailbox>[number];
