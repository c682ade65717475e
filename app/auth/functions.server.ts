// References to the Convex functions behind accounts and sign-in, by name, with the types of
// their contract (convex/auth.ts, convex/account.ts, convex/users.ts, convex/emails.ts).
import { makeFunctionReference } from "convex/server";
import type { Tokens } from "./cookies.server";

export type SignInArgs = {
  provider?: string;
  params?: Record<string, string | undefined>;
  verifier?: string;
  refreshToken?: string;
};
export type SignInResult = {
  tokens?: Tokens | null;
  redirect?: string;
  verifier?: string;
  started?: boolean;
};

export type Me = {
  _id: string;
  name: string | null;
  email: string | null;
  image: string | null;
  emailVerified: boolean;
  role: string;
  hasPassword: boolean;
};

export type SessionRow = {
  _id: string;
  current: boolean;
  createdAt: number;
  expirationTime: number;
  lastSeenAt: number | null;
  ipAddress: string | null;
  userAgent: string | null;
};

export type Profile = {
  _id: string;
  name: string | null;
  email: string | null;
  image: string | null;
  bio: string | null;
  website: string | null;
  location: string | null;
  twitter: string | null;
  avatarStorageId: string | null;
};

/** One outbox email (emails:devMailbox). */
export type OutboxEmail = {
  _id: string;
  to: string;
  subject: string;
  text: string;
  html: string | null;
  kind: string;
  createdAt: number;
  sentAt: number | null;
  provider: "outbox" | "resend";
};

export const fn = {
  signIn: makeFunctionReference<"action", SignInArgs, SignInResult>("auth:signIn"),
  signOut: makeFunctionReference<"action", Record<string, never>, null>("auth:signOut"),
  me: makeFunctionReference<"query", Record<string, never>, Me | null>("account:me"),
  recordSession: makeFunctionReference<"mutation", { ipAddress?: string; userAgent?: string }, unknown>(
    "account:recordSession",
  ),
  listSessions: makeFunctionReference<"query", Record<string, never>, SessionRow[]>("account:listSessions"),
  signOutOtherSessions: makeFunctionReference<"mutation", Record<string, never>, { signedOut: number }>(
    "account:signOutOtherSessions",
  ),
  changePassword: makeFunctionReference<"action", { currentPassword: string; newPassword: string }, null>(
    "account:changePassword",
  ),
  deleteAccount: makeFunctionReference<
    "action",
    { password?: string; sites?: { siteId: string; action: "reassign" | "delete" }[] },
    { sites: { siteId: string; outcome: string }[] }
  >("account:deleteAccount"),
  getProfile: makeFunctionReference<"query", Record<string, never>, Profile>("users:getProfile"),
  updateProfile: makeFunctionReference<
    "mutation",
    { bio?: string; website?: string; location?: string; twitter?: string; avatarStorageId?: string | null },
    null
  >("users:updateProfile"),
  updateUserName: makeFunctionReference<"mutation", { name: string }, null>("users:updateUserName"),
  generateAvatarUploadUrl: makeFunctionReference<"mutation", Record<string, never>, string>("users:generateAvatarUploadUrl"),
  /** Internal: callable only with the deployment's admin key. */
  devMailbox: makeFunctionReference<"query", { limit?: number; to?: string }, OutboxEmail[]>("emails:devMailbox"),
};
