import { afterEach, describe, expect, test, vi } from "vitest";
import { backends, modules } from "../tests/support/backends";
import { as, createWorld, type T } from "../tests/support/factories";
import { api } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import schema from "./schema";

async function code(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => "ok",
    (e) => e?.data?.code ?? String(e),
  );
}

async function seed(t: T, userId: Id<"users">, count: number, start = 0, createdAt?: number) {
  return await t.run(async (ctx) => {
    const ids = [];
    for (let i = start; i < start + count; i++) {
      ids.push(
        await ctx.db.insert("notifications", {
          userId,
          type: "review_submitted",
          title: `Note ${i}`,
          read: false,
          createdAt: createdAt ?? Date.now() - 60_000 + i,
        }),
      );
    }
    return ids;
  });
}

afterEach(() => {
  vi.useRealTimers();
});

describe.each(backends)("notifications on %s", (_name, convexTest) => {
  test("list is the viewer's own, newest first, paginated; unreadCount and markRead", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const ids = await seed(t, w.users.author, 5);
    const [othersId] = await seed(t, w.users.editor, 1);
    const author = as(t, w.users.author);
    const p1 = await author.query(api.notifications.list, { paginationOpts: { numItems: 3, cursor: null } });
    const p2 = await author.query(api.notifications.list, { paginationOpts: { numItems: 3, cursor: p1.continueCursor } });
    expect([...p1.page, ...p2.page].map((n) => n.title)).toEqual(["Note 4", "Note 3", "Note 2", "Note 1", "Note 0"]);
    expect(p2.isDone).toBe(true);
    expect(await author.query(api.notifications.unreadCount, {})).toBe(5);

    await author.mutation(api.notifications.markRead, { id: ids[1] });
    await author.mutation(api.notifications.markRead, { id: ids[1] }); // idempotent
    expect(await author.query(api.notifications.unreadCount, {})).toBe(4);
    // Someone else's notification looks missing and stays unread.
    expect(await code(author.mutation(api.notifications.markRead, { id: othersId }))).toBe("NOT_FOUND");
    expect(await as(t, w.users.editor).query(api.notifications.unreadCount, {})).toBe(1);
    // Signed out: no notifications at all.
    expect(await code(t.query(api.notifications.unreadCount, {}))).toBe("UNAUTHENTICATED");
  });

  test("markAllRead works in batches and leaves newer notifications unread", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    await seed(t, w.users.author, 1_100);
    await seed(t, w.users.author, 1, 2_000, Date.now() + 10 * 60_000); // arrives "after" the request
    await seed(t, w.users.editor, 3);
    const author = as(t, w.users.author);
    expect(await author.query(api.notifications.unreadCount, {})).toBe(1_000); // capped: "999+"
    vi.useFakeTimers();
    await author.mutation(api.notifications.markAllRead, {});
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    vi.useRealTimers();
    expect(await author.query(api.notifications.unreadCount, {})).toBe(1);
    const first = await author.query(api.notifications.list, { paginationOpts: { numItems: 1, cursor: null } });
    expect(first.page[0]).toMatchObject({ title: "Note 2000", read: false });
    expect(await as(t, w.users.editor).query(api.notifications.unreadCount, {})).toBe(3);
  });
});
