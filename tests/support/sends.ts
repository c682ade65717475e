// Helpers for the post-send tests (convex/sends*.test.ts): deployment variables on both backends,
// newsletters and audience members written directly, error codes.
import type { Id } from "../../convex/_generated/dataModel";
import type { T } from "./factories";

/** Sets (or with undefined, unsets) variables where functions run: this process (convex-test) and the local backend. */
export async function setEnv(t: T, vars: Record<string, string | undefined>): Promise<void> {
  const backend = (t as unknown as { backend?: () => Promise<{ env: { set(n: string, v: string | null): void } }> }).backend;
  const env = typeof backend === "function" ? (await backend()).env : null;
  for (const [name, value] of Object.entries(vars)) {
    if (value === undefined) {
      delete process.env[name];
      env?.set(name, null);
    } else {
      process.env[name] = value;
      env?.set(name, value);
    }
  }
}

export async function addNewsletter(t: T, siteId: Id<"sites">, extra: { archived?: boolean } = {}): Promise<Id<"newsletters">> {
  return await t.run((ctx) =>
    ctx.db.insert("newsletters", { siteId, name: "Weekly", senderName: "The Daily Desk", replyTo: "desk@daily.example", defaultOn: true, createdAt: Date.now(), ...extra }),
  );
}

export async function addAudienceMember(
  t: T,
  siteId: Id<"sites">,
  newsletterId: Id<"newsletters">,
  email: string,
  access: "free" | "paid" | "comped",
  emailState: "subscribed" | "unsubscribed" | "bounced" | "complained" = "subscribed",
  userId?: Id<"users">,
): Promise<Id<"audienceMembers">> {
  return await t.run(async (ctx) => {
    const now = Date.now();
    const memberId = await ctx.db.insert("audienceMembers", { siteId, email, access, emailState, source: "manual", createdAt: now, updatedAt: now, ...(userId ? { userId } : {}) });
    await ctx.db.insert("memberNewsletters", { siteId, memberId, newsletterId, createdAt: now });
    return memberId;
  });
}

/** The catalogue code a call fails with, or "ok". */
export async function errorCode(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => "ok",
    (e: { data?: { code?: string } }) => e?.data?.code ?? String(e),
  );
}
