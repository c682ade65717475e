// Forged cursors (issue #12 item 1): a fuzzer over EVERY paginated public function of convex/,
// against a real local backend with several tenants. The attacker owns one publication and
// passes forged, truncated, bit-flipped, extreme and foreign cursors and endCursors; every try
// must either fail with Convex's InvalidCursor error (or another clean ConvexError) or return
// only the attacker's own tenant's rows. The published attack (`<fp>.` + base64url(0xFF×96) as
// cursor, `<fp>.AA` as endCursor) read other tenants' notifications, drafts, review queues,
// tags, payments and audit logs before the fix.
//
// Paginated functions are found from the loaded modules (any public function with a
// `paginationOpts` argument); one without an entry in CALLS fails the coverage test, so a new
// paginated function cannot go unfuzzed.
import { ConvexHttpClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { ConvexError } from "convex/values";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Id } from "../../convex/_generated/dataModel";
import type { LocalBackend } from "../../local-backend/src/backend";
import { clientAs, startAppBackend, stopAppBackend } from "../support/live-backend";

type Args = Record<string, unknown>;
interface Tenant {
  siteId: string;
  slug: string;
  ownerId: string;
  tagSlug: string;
  categorySlug: string;
  authorSlug: string;
}
/** One way to call a paginated function as a user: its arguments and whose rows it may return. */
interface Variant {
  args: Args;
  /** The only tenant whose documents may appear in the result: `site:<id>` or `user:<id>`. */
  tenant: string;
}

let backend: LocalBackend;
let attacker: Tenant;
let victim: Tenant;
/** Document id → its tenant (`site:<siteId>`, `user:<userId>` for notifications, `platform`). */
const owners = new Map<string, string>();

/** How each paginated public function is called for a tenant's owner. */
const CALLS: Record<string, (t: Tenant) => Variant[]> = {
  "notifications:list": (t) => [{ args: {}, tenant: `user:${t.ownerId}` }],
  // The personal data download's pages (#17): the viewer's posts (all in their own site here) and notifications.
  "account:personalDataPage": (t) => [
    { args: { range: { part: "posts" } }, tenant: `site:${t.siteId}` },
    { args: { range: { part: "notifications" } }, tenant: `user:${t.ownerId}` },
  ],
  "posts:list": (t) => [
    { args: { siteId: t.siteId }, tenant: `site:${t.siteId}` },
    { args: { siteId: t.siteId, status: "draft" }, tenant: `site:${t.siteId}` },
    { args: { siteId: t.siteId, search: "draft" }, tenant: `site:${t.siteId}` },
  ],
  "review:queue": (t) => [{ args: { siteId: t.siteId }, tenant: `site:${t.siteId}` }],
  "tags:list": (t) => [{ args: { siteId: t.siteId }, tenant: `site:${t.siteId}` }],
  "billing:siteStats": (t) => [{ args: { siteId: t.siteId }, tenant: `site:${t.siteId}` }],
  "audit:list": (t) => [{ args: { siteId: t.siteId }, tenant: `site:${t.siteId}` }],
  "audience:list": (t) => [
    { args: { siteId: t.siteId }, tenant: `site:${t.siteId}` },
    { args: { siteId: t.siteId, filter: "paid" }, tenant: `site:${t.siteId}` },
    { args: { siteId: t.siteId, search: "reader" }, tenant: `site:${t.siteId}` },
  ],
  "audienceImport:exportPage": (t) => [{ args: { siteId: t.siteId }, tenant: `site:${t.siteId}` }],
  "siteExport:posts": (t) => [{ args: { siteId: t.siteId }, tenant: `site:${t.siteId}` }],
  "siteExport:tags": (t) => [{ args: { siteId: t.siteId }, tenant: `site:${t.siteId}` }],
  "reader:latest": (t) => [{ args: { siteSlug: t.slug }, tenant: `site:${t.siteId}` }],
  "reader:home": (t) => [{ args: { siteSlug: t.slug }, tenant: `site:${t.siteId}` }],
  "reader:featured": (t) => [{ args: { siteSlug: t.slug }, tenant: `site:${t.siteId}` }],
  "reader:byTag": (t) => [{ args: { siteSlug: t.slug, tagSlug: t.tagSlug }, tenant: `site:${t.siteId}` }],
  "reader:tagPage": (t) => [{ args: { siteSlug: t.slug, slug: t.tagSlug }, tenant: `site:${t.siteId}` }],
  "reader:categoryPage": (t) => [{ args: { siteSlug: t.slug, slug: t.categorySlug }, tenant: `site:${t.siteId}` }],
  "reader:byCategory": (t) => [{ args: { siteSlug: t.slug, categorySlug: t.categorySlug }, tenant: `site:${t.siteId}` }],
  "reader:authorPage": (t) => [{ args: { siteSlug: t.slug, slug: t.authorSlug }, tenant: `site:${t.siteId}` }],
  "reader:byAuthor": (t) => [{ args: { siteSlug: t.slug, authorSlug: t.authorSlug }, tenant: `site:${t.siteId}` }],
  "reader:search": (t) => [{ args: { siteSlug: t.slug, query: "the" }, tenant: `site:${t.siteId}` }],
};

function actingAs(userId: string): ConvexHttpClient {
  return clientAs(backend, userId as Id<"users">, { logger: false });
}

/** The public functions that take `paginationOpts`, from the loaded modules. */
function paginatedFunctions(): string[] {
  const out: string[] = [];
  for (const [p, f] of backend.runner.app.functions) {
    const args = f.args as { type?: string; value?: Record<string, unknown> } | null;
    if (f.visibility === "public" && args?.type === "object" && args.value && "paginationOpts" in args.value) out.push(p);
  }
  return out.sort();
}

interface PageLike {
  page: unknown[];
  isDone: boolean;
  continueCursor: string;
}
/** The pagination result inside a function's result (billing:siteStats nests it). */
function findPage(value: unknown): PageLike | null {
  if (value === null || typeof value !== "object") return null;
  if ("continueCursor" in value && "page" in value) return value as PageLike;
  for (const v of Object.values(value)) {
    const found = findPage(v);
    if (found) return found;
  }
  return null;
}

/** Documents in `value` that belong to a tenant other than `tenant`. */
function foreignDocs(value: unknown, tenant: string): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === "string") {
      const owner = owners.get(v);
      if (owner !== undefined && owner !== tenant) out.push(`${v} (${owner})`);
    } else if (v !== null && typeof v === "object") {
      for (const child of Object.values(v)) walk(child);
    }
  };
  walk(value);
  return out;
}

beforeAll(async () => {
  backend = await startAppBackend("forged-cursors-");
  const seeded = await backend.runner.runMutation("demo:seedDemo", {}, { allowInternal: true });
  if (!seeded.ok) throw new Error(seeded.message);

  // Per-publication rows of every paginated table, so each function has pages to walk.
  const seededTenants = await backend.runner.transactInline(async (ctx: any) => {
    const out: Tenant[] = [];
    const now = Date.now();
    for (const site of await ctx.db.query("sites").collect()) {
      const tag = await ctx.db.query("tags").withIndex("by_siteId_and_postCount", (q: any) => q.eq("siteId", site._id)).order("desc").first();
      const category = await ctx.db.query("categories").filter((q: any) => q.eq(q.field("siteId"), site._id)).first();
      const member = await ctx.db.query("siteMembers").filter((q: any) => q.eq(q.field("siteId"), site._id)).first();
      for (let i = 0; i < 5; i++) {
        await ctx.db.insert("payments", { siteId: site._id, userId: site.ownerId, amountCents: 500 + i, currency: "usd", status: "succeeded", createdAt: now - i });
        await ctx.db.insert("auditLogs", { siteId: site._id, actorId: site.ownerId, action: `test.${site.slug}`, entityType: "site", entityId: site._id, diff: "{}", createdAt: now - i });
        await ctx.db.insert("notifications", { userId: site.ownerId, siteId: site._id, type: "review_submitted", title: `For ${site.slug} ${i}`, read: false, createdAt: now - i });
        await ctx.db.insert("audienceMembers", {
          siteId: site._id,
          email: `reader${i}@${site.slug}.example`,
          name: `Reader ${i}`,
          nameKey: `reader ${i}`,
          access: i % 2 === 0 ? "paid" : "free",
          emailState: "subscribed",
          source: "manual",
          createdAt: now - i,
          updatedAt: now - i,
        });
      }
      out.push({ siteId: site._id, slug: site.slug, ownerId: site.ownerId, tagSlug: tag.slug, categorySlug: category.slug, authorSlug: member.authorSlug });
    }
    return out;
  });
  if (!seededTenants.ok) throw new Error(seededTenants.message);
  const all = JSON.parse(seededTenants.valueJson) as Tenant[];
  expect(all.length).toBeGreaterThanOrEqual(2);
  [attacker, victim] = all;
  for (const t of all) {
    const owner = actingAs(t.ownerId);
    for (let i = 0; i < 5; i++) {
      const postId = await owner.mutation(makeFunctionReference<"mutation">("posts:create"), { siteId: t.siteId, title: `Unpublished draft ${t.slug} ${i}` });
      if (i < 3) await owner.mutation(makeFunctionReference<"mutation">("review:submitForReview"), { siteId: t.siteId, postId });
    }
  }

  // Who owns every document a paginated function can return.
  const map = await backend.runner.transactInline(async (ctx: any) => {
    const rows: Array<[string, string]> = [];
    for (const table of ["posts", "postBodies", "tags", "categories", "payments", "auditLogs", "subscriptionPlans", "siteMembers", "audienceMembers"]) {
      for (const d of await ctx.db.query(table).collect()) rows.push([d._id, d.siteId ? `site:${d.siteId}` : "platform"]);
    }
    for (const d of await ctx.db.query("notifications").collect()) rows.push([d._id, `user:${d.userId}`]);
    return rows;
  });
  if (!map.ok) throw new Error(map.message);
  for (const [id, owner] of JSON.parse(map.valueJson) as Array<[string, string]>) owners.set(id, owner);
}, 180_000);

afterAll(async () => {
  await stopAppBackend(backend);
});

const b64 = (bytes: number[]) => Buffer.from(bytes).toString("base64url");
const FF96 = b64(new Array(96).fill(0xff));

/** Walks the first pages of a function and returns the genuine cursors it handed out. */
async function genuineCursors(client: ConvexHttpClient, fn: string, args: Args, tenant: string): Promise<string[]> {
  const cursors: string[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 3; i++) {
    const result = await client.query(makeFunctionReference<"query">(fn), { ...args, paginationOpts: { numItems: 2, cursor } } as never);
    expect(foreignDocs(result, tenant), `${fn} with a genuine cursor`).toEqual([]);
    const page = findPage(result);
    if (!page) break;
    cursors.push(page.continueCursor);
    if (page.isDone) break;
    cursor = page.continueCursor;
  }
  return cursors;
}

/** Forged, truncated, bit-flipped and extreme variants of a genuine cursor. */
function forgeries(real: string): string[] {
  const parts = real.split(".");
  const fp = parts[0]!;
  const mid = Math.floor(real.length / 2);
  const flip = (i: number) => real.slice(0, i) + (real[i] === "A" ? "B" : "A") + real.slice(i + 1);
  return [
    `${fp}.${FF96}`, // the published attack
    `${fp}.AA`,
    `${fp}.end`,
    `${fp}.${b64([0])}`,
    `${fp}.${FF96}.${parts[parts.length - 1]}`, // a forged position under a genuine MAC
    real.slice(0, -1),
    real.slice(0, mid),
    `${real}A`,
    flip(mid),
    flip(1),
    FF96,
    ".",
    "end",
    "A".repeat(4096),
  ];
}

describe("forged cursor", () => {
  test("forged cursor: every paginated public function is covered by the fuzzer", () => {
    expect(paginatedFunctions()).toEqual(Object.keys(CALLS).sort());
  });

  test(
    "forged cursor: forged, truncated, foreign and extreme cursors and endCursors read nothing across tenants",
    async () => {
      const me = actingAs(attacker.ownerId);
      const them = actingAs(victim.ownerId);
      const leaks: string[] = [];
      const unclean: string[] = [];
      let tries = 0;
      let ffTries = 0;

      // Genuine cursors of every function, the attacker's and the victim's (foreign ones).
      const mine = new Map<string, string[]>();
      const foreign: string[] = [];
      for (const [fn, variants] of Object.entries(CALLS)) {
        for (const [i, v] of variants(attacker).entries()) mine.set(`${fn}#${i}`, await genuineCursors(me, fn, v.args, v.tenant));
        for (const v of variants(victim)) foreign.push(...(await genuineCursors(them, fn, v.args, v.tenant)));
      }
      const everyGenuine = [...mine.values()].flat();

      for (const [fn, variants] of Object.entries(CALLS)) {
        for (const [i, v] of variants(attacker).entries()) {
          const own = mine.get(`${fn}#${i}`)!;
          const base = own[0] ?? everyGenuine[0]!;
          const candidates = new Set<string>([
            ...forgeries(base),
            ...(own[1] ? forgeries(own[1]) : []),
            ...foreign.slice(0, 6),
            ...everyGenuine.filter((c) => !own.includes(c)).slice(0, 6),
          ]);
          for (const bad of candidates) {
            for (const paginationOpts of [
              { numItems: 3, cursor: bad },
              { numItems: 3, cursor: null, endCursor: bad },
              { numItems: 3, cursor: base, endCursor: bad },
            ]) {
              tries++;
              if (bad.includes(FF96)) ffTries++;
              try {
                const result = await me.query(makeFunctionReference<"query">(fn), { ...v.args, paginationOpts } as never);
                const leaked = foreignDocs(result, v.tenant);
                if (leaked.length) leaks.push(`${fn} ${JSON.stringify(paginationOpts).slice(0, 80)}: ${leaked.slice(0, 3).join(", ")}`);
              } catch (e) {
                if (!(e instanceof ConvexError)) unclean.push(`${fn}: ${String(e).slice(0, 200)}`);
              }
            }
          }
        }
      }
      expect(leaks).toEqual([]);
      expect(unclean).toEqual([]);
      expect(ffTries).toBeGreaterThan(0);
      expect(tries).toBeGreaterThan(200);
    },
    300_000,
  );

  test("forged cursor: the published 0xFF×96 attack gets Convex's InvalidCursor error", async () => {
    const me = actingAs(attacker.ownerId);
    for (const [fn, variants] of Object.entries(CALLS)) {
      const v = variants(attacker)[0]!;
      const first = findPage(await me.query(makeFunctionReference<"query">(fn), { ...v.args, paginationOpts: { numItems: 1, cursor: null } } as never));
      const fp = first!.continueCursor.split(".")[0];
      for (const paginationOpts of [
        { numItems: 50, cursor: `${fp}.${FF96}` },
        { numItems: 50, cursor: null, endCursor: `${fp}.AA` },
      ]) {
        const error = await me.query(makeFunctionReference<"query">(fn), { ...v.args, paginationOpts } as never).then(
          () => null,
          (e: unknown) => e,
        );
        // posts:list drops endCursor on purpose (model/studioPosts.ts listForStudio), so that call succeeds.
        if (error === null && fn === "posts:list" && paginationOpts.cursor === null) continue;
        expect(error, `${fn} ${JSON.stringify(paginationOpts).slice(0, 40)}`).toBeInstanceOf(ConvexError);
        expect((error as ConvexError<{ paginationError?: string }>).data.paginationError).toBe("InvalidCursor");
      }
    }
  });
});
