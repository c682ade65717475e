// A publication with many audience members, written with trusted code in batches (one transaction
// per `batch` members, each member with its newsletter row), for the send crash test and the send
// bench. Rows have the shapes model/audience.ts leaves (ADR 012): a confirmed, subscribed member
// and one memberNewsletters row for the site's newsletter.
import type { LocalBackend } from "../../local-backend/src/backend";

export interface AudienceWorld {
  siteId: string;
  siteSlug: string;
  ownerId: string;
  newsletterId: string;
  /** Subscribed members' addresses (the send's expected recipients, segment "all"). */
  emails: string[];
  /** Members who unsubscribed (they keep their newsletter row and must get nothing). */
  unsubscribed: string[];
}

async function run<R>(backend: LocalBackend, fn: (ctx: any) => Promise<R>): Promise<R> {
  const outcome = await backend.runner.transactInline(fn);
  if (!outcome.ok) throw new Error(outcome.message);
  return JSON.parse(outcome.valueJson) as R;
}

/** The address of member `i` (lower-case, as members are stored). */
export const memberEmail = (slug: string, i: number) => `reader-${i}@${slug}.example.com`;

export async function seedAudience(
  backend: LocalBackend,
  o: { slug: string; members: number; unsubscribed?: number; batch?: number },
): Promise<AudienceWorld> {
  const batch = o.batch ?? 1_000;
  const ids = await run(backend, async (ctx) => {
    const now = Date.now();
    const ownerId = await ctx.db.insert("users", {
      name: "Send Owner",
      email: `owner@${o.slug}.example.com`,
      emailVerificationTime: now,
      role: "user",
      isActive: true,
      createdAt: now,
      updatedAt: now,
    });
    const siteId = await ctx.db.insert("sites", { name: `The ${o.slug}`, slug: o.slug, ownerId, createdAt: now, updatedAt: now });
    await ctx.db.insert("siteMembers", { siteId, userId: ownerId, role: "owner", authorSlug: "owner", createdAt: now });
    const newsletterId = await ctx.db.insert("newsletters", {
      siteId,
      name: `The ${o.slug} weekly`,
      senderName: `The ${o.slug}`,
      defaultOn: true,
      createdAt: now,
    });
    return { siteId, ownerId, newsletterId };
  });
  const emails: string[] = [];
  const unsubscribed: string[] = [];
  const total = o.members + (o.unsubscribed ?? 0);
  for (let start = 0; start < total; start += batch) {
    const rows: Array<{ email: string; subscribed: boolean; access: "free" | "paid" | "comped" }> = [];
    for (let i = start; i < Math.min(total, start + batch); i++) {
      const email = memberEmail(o.slug, i);
      const subscribed = i < o.members;
      (subscribed ? emails : unsubscribed).push(email);
      // Free, paid and comped members alike get a segment "all" send.
      rows.push({ email, subscribed, access: i % 10 === 0 ? "paid" : i % 25 === 1 ? "comped" : "free" });
    }
    await run(backend, async (ctx) => {
      const now = Date.now();
      for (const r of rows) {
        const memberId = await ctx.db.insert("audienceMembers", {
          siteId: ids.siteId,
          email: r.email,
          name: `Reader ${r.email.split("@")[0]}`,
          nameKey: `reader ${r.email.split("@")[0]}`,
          access: r.access,
          emailState: r.subscribed ? "subscribed" : "unsubscribed",
          source: "import",
          confirmedAt: now,
          createdAt: now,
          updatedAt: now,
        });
        await ctx.db.insert("memberNewsletters", { siteId: ids.siteId, memberId, newsletterId: ids.newsletterId, createdAt: now });
      }
      return null;
    });
  }
  return { ...ids, siteSlug: o.slug, emails, unsubscribed };
}
