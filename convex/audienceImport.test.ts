// Over 400 lines: one suite for members CSV import: the format code, then the whole job on both backends.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test, vi } from "vitest";
import { backends, modules } from "../tests/support/backends";
import { as, createWorld, type T, type World } from "../tests/support/factories";
import { api, internal } from "./_generated/api";
import type { Doc, Id } from "./_generated/dataModel";
import { csvLine, detectFormat, mapRow, MAX_IMPORT_BYTES, parseRecords, RecordChunker, TextChunks, type Header } from "./model/audienceImportFormat";
import schema from "./schema";

// Members CSV import (convex/audienceImport.ts): format detection and row mapping as plain code,
// then the whole job (upload, validation, batches, progress, row errors) on both backends.

const fixture = (name: string) => new Uint8Array(readFileSync(path.join(__dirname, "../tests/fixtures/members", name)));
const NOW = Date.parse("2026-12-06T00:00:00Z");
const header = (cells: string[]) => detectFormat(cells) as Header;

describe("format detection and row mapping", () => {
  test("each exporter's header is recognised; a file without an email column is refused", () => {
    expect(header(["id", "email", "name", "note", "subscribed_to_emails", "complimentary_plan", "stripe_customer_id", "created_at", "deleted_at", "labels", "tiers"]).format).toBe(
      "ghost"
    );
    expect(header(["email", "expiry", "email_disabled", "prefer_digests", "stripe_connected_customer_id", "type"]).format).toBe("substack");
    expect(header(["email", "active_subscription", "expiry", "email_disabled", "prefer_digests", "created_at"]).format).toBe("substack");
    expect(header(["email", "name", "access", "email_state", "source", "created_at", "newsletters"]).format).toBe("pressroom");
    expect(header(["Email Address", "First Name"]).format).toBe("csv");
    expect(detectFormat(["name", "phone"])).toEqual({
      error: expect.stringContaining("no email column"),
    });
  });

  test("Ghost: comped, paid (a Stripe customer) becomes comped, unsubscribed, deleted rows refused", () => {
    const h = header(["email", "name", "subscribed_to_emails", "complimentary_plan", "stripe_customer_id", "created_at", "deleted_at"]);
    expect(mapRow(h, ["A@X.com ", "Ann", "true", "true", "", "2021-06-09T11:13:26.000Z", ""], NOW)).toEqual({
      ok: true,
      member: {
        email: "a@x.com",
        name: "Ann",
        createdAt: Date.parse("2021-06-09T11:13:26.000Z"),
        access: "comped",
        paidElsewhere: false,
        emailState: "subscribed",
        newsletters: [],
      },
    });
    expect(mapRow(h, ["b@x.com", "", "false", "false", "cus_1", "", ""], NOW)).toMatchObject({
      ok: true,
      member: {
        access: "comped",
        paidElsewhere: true,
        emailState: "unsubscribed",
      },
    });
    expect(mapRow(h, ["c@x.com", "", "true", "false", "", "", "2022-01-01"], NOW)).toMatchObject({ ok: false, message: expect.stringContaining("deleted") });
    expect(mapRow(h, ["c@x.com", "", "true", "false", "", "yesterday", ""], NOW)).toEqual({ ok: false, message: 'created_at: "yesterday" is not a date.' });
    expect(mapRow(h, ["nope", "", "true", "false", "", "", ""], NOW)).toEqual({
      ok: false,
      message: '"nope" is not a valid email address.',
    });
  });

  test("Substack: type decides paid/comp; without type an unexpired active subscription is paid; email_disabled unsubscribes", () => {
    const typed = header(["email", "expiry", "email_disabled", "prefer_digests", "stripe_connected_customer_id", "type"]);
    expect(mapRow(typed, ["p@x.com", "", "false", "false", "cus", "paid"], NOW)).toMatchObject({
      ok: true,
      member: { access: "comped", paidElsewhere: true },
    });
    expect(mapRow(typed, ["g@x.com", "", "false", "false", "", "gift"], NOW)).toMatchObject({
      ok: true,
      member: { access: "comped", paidElsewhere: false },
    });
    expect(mapRow(typed, ["f@x.com", "", "true", "false", "", "free"], NOW)).toMatchObject({
      ok: true,
      member: { access: "free", emailState: "unsubscribed" },
    });
    const list = header(["email", "active_subscription", "expiry", "email_disabled", "prefer_digests", "created_at"]);
    expect(mapRow(list, ["a@x.com", "true", "2099-01-01", "false", "false", ""], NOW)).toMatchObject({ member: { access: "comped", paidElsewhere: true } });
    expect(mapRow(list, ["l@x.com", "true", "2021-01-01", "false", "false", ""], NOW)).toMatchObject({ member: { access: "free", paidElsewhere: false } });
  });

  test("Pressroom: access and email_state are checked; newsletters split; the export's formula escape is undone", () => {
    const h = header(["email", "name", "access", "email_state", "source", "created_at", "newsletters"]);
    expect(mapRow(h, ["a@x.com", "'=Ann", "paid", "bounced", "form", "2024-01-01T00:00:00.000Z", "Weekly; Extra"], NOW)).toMatchObject({
      ok: true,
      member: {
        name: "=Ann",
        access: "comped",
        paidElsewhere: true,
        emailState: "bounced",
        newsletters: ["Weekly", "Extra"],
      },
    });
    expect(mapRow(h, ["a@x.com", "", "vip", "subscribed", "", "", ""], NOW)).toMatchObject({ ok: false, message: expect.stringContaining("access") });
    expect(mapRow(h, ["a@x.com", "", "free", "maybe", "", "", ""], NOW)).toMatchObject({
      ok: false,
      message: expect.stringContaining("email_state"),
    });
  });

  test("CSV injection: cells starting with = + - @ are prefixed with ' and quoted when needed", () => {
    expect(csvLine(['=HYPERLINK("http://evil")', "+1", "-2", "@SUM(A1)", "plain", "a,b", 'x"y'])).toBe(`"'=HYPERLINK(""http://evil"")",'+1,'-2,'@SUM(A1),plain,"a,b","x""y"\r\n`);
    const h = header(["email", "name", "access", "email_state", "source", "created_at", "newsletters"]);
    const [cells] = parseRecords(csvLine(["a@x.com", "=cmd|' /C calc'!A0", "free", "subscribed", "form", "", ""]), 2);
    expect(mapRow(h, cells, NOW)).toMatchObject({
      ok: true,
      member: { name: "=cmd|' /C calc'!A0" },
    });
  });

  test("the chunker cuts only between records, whatever the slice boundaries", () => {
    const text = 'email,name\r\na@x.com,"Line one\r\nline two"\r\nb@x.com,"He said ""hi"""\r\nc@x.com,C\r\n';
    for (let size = 1; size < text.length; size += 3) {
      const chunker = new RecordChunker();
      const rows: string[][] = [];
      for (let i = 0; i < text.length; i += size) rows.push(...parseRecords(chunker.push(text.slice(i, i + size)), 1));
      rows.push(...parseRecords(chunker.end(), 1));
      expect(rows).toEqual([
        ["email", "name"],
        ["a@x.com", "Line one\r\nline two"],
        ["b@x.com", 'He said "hi"'],
        ["c@x.com", "C"],
      ]);
    }
  });

  test("CSV imports of malformed files: unclosed quotes and binary data are file errors with a row or a reason", () => {
    expect(() => parseRecords('a@x.com,"open\n', 7)).toThrow(/at row 7, a quoted value is never closed/);
    const utf8 = new TextChunks();
    expect(() => utf8.decode(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0xff, 0xfe]), true)).toThrow(/not UTF-8/);
    expect(() => new TextChunks().decode(new TextEncoder().encode("email\u0000x"), true)).toThrow(/binary/);
  });
});

// --- the job, on both backends ---------------------------------------------------------------------

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return Buffer.from(await crypto.subtle.digest("SHA-256", bytes)).toString("base64");
}

async function upload(t: T, bytes: Uint8Array<ArrayBuffer> | string) {
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  const storageId = await t.run(async (ctx) => ctx.storage.store(new Blob([data], { type: "text/csv" })));
  return { storageId, sha256: await sha256(data) };
}

async function runJobs(t: T) {
  vi.useFakeTimers();
  try {
    await t.finishAllScheduledFunctions(vi.runAllTimers);
  } finally {
    vi.useRealTimers();
  }
}

/** Uploads `bytes` as the editor, runs the import to its end, and returns the job's view. */
async function importFile(t: T, w: World, bytes: Uint8Array<ArrayBuffer> | string, fileName = "members.csv") {
  const editor = as(t, w.users.editor);
  const file = await upload(t, bytes);
  const importId = await editor.mutation(api.audienceImport.start, {
    siteId: w.siteId,
    ...file,
    fileName,
  });
  await runJobs(t);
  return (await editor.query(api.audienceImport.get, {
    siteId: w.siteId,
    importId,
  }))!;
}

const members = (t: T, siteId: Id<"sites">) =>
  t.run(async (ctx) =>
    (await ctx.db.query("audienceMembers").collect())
      .filter((m) => m.siteId === siteId)
      .sort((a, b) => a.email.localeCompare(b.email))
      .map(({ email, name, access, emailState, source, createdAt }) => ({
        email,
        name,
        access,
        emailState,
        source,
        createdAt,
      }))
  );

/** A job already past validation (status importing), as the job's own steps find it. */
const importingJob = (t: T, w: World, fields: Partial<Doc<"audienceImports">> = {}) =>
  t.run(async (ctx) =>
    ctx.db.insert("audienceImports", {
      siteId: w.siteId,
      createdBy: w.users.editor,
      fileName: "a.csv",
      size: 10,
      status: "importing",
      total: 0,
      processed: 0,
      created: 0,
      updated: 0,
      skipped: 0,
      failed: 0,
      compedFromPaid: 0,
      rowErrors: [],
      createdAt: Date.now(),
      ...fields,
    })
  );

async function code(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => "ok",
    (e) => e?.data?.code ?? String(e)
  );
}

describe.each(backends)("members CSV import on %s", (_name, convexTest) => {
  const setup = async () => {
    const t = convexTest(schema, modules);
    return { t, w: await createWorld(t) };
  };

  test("Ghost export: detected, mapped, bad rows reported with their row number, good rows imported", async () => {
    const { t, w } = await setup();
    const job = await importFile(t, w, fixture("ghost-members.csv"), "ghost.csv");
    expect(job).toMatchObject({
      status: "done",
      format: "ghost",
      formatLabel: "Ghost members export",
      total: 6,
      processed: 6,
      created: 4,
      updated: 0,
      skipped: 0,
      failed: 2,
      compedFromPaid: 1,
      error: null,
    });
    expect(job.rowErrors).toEqual([
      { row: 6, message: '"not-an-address" is not a valid email address.' },
      {
        row: 7,
        message: "ada@example.com is already on row 2; only the first is imported.",
      },
    ]);
    expect(await members(t, w.siteId)).toEqual([
      {
        email: "ada@example.com",
        name: "Ada Lovelace",
        access: "free",
        emailState: "subscribed",
        source: "import",
        createdAt: Date.parse("2021-06-09T11:13:26.000Z"),
      },
      {
        email: "grace@example.org",
        name: "Hopper, Grace",
        access: "comped",
        emailState: "subscribed",
        source: "import",
        createdAt: Date.parse("2021-07-01T08:00:00.000Z"),
      },
      {
        email: "linus@example.net",
        name: "Linus",
        access: "free",
        emailState: "unsubscribed",
        source: "import",
        createdAt: Date.parse("2022-01-15T19:45:00.000Z"),
      },
      {
        email: "margaret@example.com",
        name: "Margaret Hamilton",
        access: "comped",
        emailState: "subscribed",
        source: "import",
        createdAt: Date.parse("2022-03-02T10:30:00.000Z"),
      },
    ]);
    // The uploaded file (personal data) does not outlive the import.
    expect(await t.run(async (ctx) => (await ctx.db.system.query("_storage").collect()).length)).toBe(0);
  });

  test("Substack exports: both column sets; paid, founding and comp are comped, email_disabled unsubscribed", async () => {
    const { t, w } = await setup();
    const a = await importFile(t, w, fixture("substack-subscribers.csv"));
    expect(a).toMatchObject({
      status: "done",
      format: "substack",
      total: 5,
      created: 5,
      failed: 0,
      compedFromPaid: 2,
    });
    const b = await importFile(t, w, fixture("substack-email-list.csv"));
    expect(b).toMatchObject({
      status: "done",
      format: "substack",
      total: 4,
      created: 4,
      compedFromPaid: 1,
    });
    const byEmail = Object.fromEntries((await members(t, w.siteId)).map((m) => [m.email, `${m.access}/${m.emailState}`]));
    expect(byEmail).toEqual({
      "reader1@example.com": "free/subscribed",
      "patron@example.com": "comped/subscribed",
      "founder@example.com": "comped/subscribed",
      "friend@example.com": "comped/subscribed",
      "quiet@example.com": "free/unsubscribed",
      "early@example.com": "free/subscribed",
      "paying@example.com": "comped/subscribed",
      "lapsed@example.com": "free/subscribed",
      "optout@example.com": "free/unsubscribed",
    });
  });

  test("re-importing the same file creates nothing twice and changes nothing the second time", async () => {
    const { t, w } = await setup();
    await importFile(t, w, fixture("ghost-members.csv"));
    const before = await t.run(async (ctx) => ({
      members: (await ctx.db.query("audienceMembers").collect()).filter((m) => m.siteId === w.siteId),
      subscriptions: (await ctx.db.query("memberNewsletters").collect()).filter((m) => m.siteId === w.siteId).length,
    }));
    const again = await importFile(t, w, fixture("ghost-members.csv"));
    expect(again).toMatchObject({
      status: "done",
      created: 0,
      updated: 0,
      skipped: 4,
      failed: 2,
    });
    const after = await t.run(async (ctx) => ({
      members: (await ctx.db.query("audienceMembers").collect()).filter((m) => m.siteId === w.siteId),
      subscriptions: (await ctx.db.query("memberNewsletters").collect()).filter((m) => m.siteId === w.siteId).length,
    }));
    expect(after).toEqual(before);
  });

  test("an existing member only gains: a name, comped instead of free, an opt-out; never re-subscribed", async () => {
    const { t, w } = await setup();
    const editor = as(t, w.users.editor);
    await editor.mutation(api.audience.add, {
      siteId: w.siteId,
      email: "ada@example.com",
    });
    await editor.mutation(api.audience.add, {
      siteId: w.siteId,
      email: "linus@example.net",
      name: "Linus T",
    });
    await editor.mutation(api.audience.add, {
      siteId: w.siteId,
      email: "margaret@example.com",
    });
    await t.run(async (ctx) => {
      const m = (await ctx.db.query("audienceMembers").collect()).find((r) => r.email === "margaret@example.com")!;
      await ctx.db.patch("audienceMembers", m._id, {
        emailState: "unsubscribed",
      });
    });
    const job = await importFile(t, w, fixture("ghost-members.csv"));
    expect(job).toMatchObject({ created: 1, updated: 3, skipped: 0 });
    const got = Object.fromEntries(
      (await members(t, w.siteId)).map((m) => [
        m.email,
        {
          name: m.name,
          access: m.access,
          emailState: m.emailState,
          source: m.source,
        },
      ])
    );
    expect(got["ada@example.com"]).toEqual({
      name: "Ada Lovelace",
      access: "free",
      emailState: "subscribed",
      source: "manual",
    });
    expect(got["linus@example.net"]).toEqual({
      name: "Linus T",
      access: "free",
      emailState: "unsubscribed",
      source: "manual",
    });
    expect(got["margaret@example.com"]).toEqual({
      name: "Margaret Hamilton",
      access: "comped",
      emailState: "unsubscribed",
      source: "manual",
    });
  });

  test("CSV imports of malformed files: a clear error and nothing written", async () => {
    const { t, w } = await setup();
    const cases: Array<[string, Uint8Array<ArrayBuffer> | string, RegExp]> = [
      ["unclosed quote", 'email,name\na@x.com,"Ann\nb@x.com,Bob\n', /never closed/],
      ["wrong column count", "email,name\na@x.com,Ann\nb@x.com,Bob,extra\n", /row 3 has 3 columns, the header has 2/],
      ["no email column", "name,phone\nAnn,123\n", /no email column/],
      ["binary file", new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0x00, 0x81]), /not a CSV text file/],
    ];
    for (const [what, bytes, message] of cases) {
      const job = await importFile(t, w, bytes);
      expect(job, what).toMatchObject({
        status: "failed",
        created: 0,
        error: expect.stringMatching(message),
      });
    }
    expect(await members(t, w.siteId)).toEqual([]);
    expect(await t.run(async (ctx) => (await ctx.db.system.query("_storage").collect()).length)).toBe(0);
  });

  test("CSV imports of malformed files: over 20 MB fails at start, unread, and the file is deleted", async () => {
    const { t, w } = await setup();
    const big = new Uint8Array(MAX_IMPORT_BYTES + 1).fill(0x61);
    const job = await importFile(t, w, big, "big.csv");
    expect(job).toMatchObject({
      status: "failed",
      size: MAX_IMPORT_BYTES + 1,
      total: 0,
      error: "The file is over 20 MB. Split it into smaller files.",
    });
    expect(await t.run(async (ctx) => (await ctx.db.system.query("_storage").collect()).length)).toBe(0);
    expect(await members(t, w.siteId)).toEqual([]);
  });

  test("CSV imports of malformed files: an empty upload is a field error", async () => {
    const { t, w } = await setup();
    const err = await as(t, w.users.editor)
      .mutation(api.audienceImport.start, {
        siteId: w.siteId,
        ...(await upload(t, "")),
        fileName: "empty.csv",
      })
      .catch((e) => e.data);
    expect(err).toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "file",
      message: "The file is empty.",
    });
  });

  test("forged upload: another site's file id without its bytes' SHA-256 is refused", async () => {
    const { t, w } = await setup();
    const theirs = await upload(t, "email\nsecret-reader@example.com\n");
    const err = await as(t, w.users.editor)
      .mutation(api.audienceImport.start, {
        siteId: w.siteId,
        storageId: theirs.storageId,
        sha256: await sha256(new TextEncoder().encode("guess")),
        fileName: "x.csv",
      })
      .catch((e) => e.data);
    expect(err).toMatchObject({ code: "INVALID_ARGUMENT", field: "file" });
    expect(await members(t, w.siteId)).toEqual([]);
  });

  test("permissions: authors cannot import or export; cross-tenant read: another site's import and export", async () => {
    const { t, w } = await setup();
    const job = await importFile(t, w, "email\nann@example.com\n");
    const author = as(t, w.users.author);
    const file = await upload(t, "email\nx@example.com\n");
    expect(
      await code(
        author.mutation(api.audienceImport.start, {
          siteId: w.siteId,
          ...file,
          fileName: "a.csv",
        })
      )
    ).toBe("FORBIDDEN");
    expect(
      await code(
        author.query(api.audienceImport.exportPage, {
          siteId: w.siteId,
          paginationOpts: { numItems: 10, cursor: null },
        })
      )
    ).toBe("FORBIDDEN");
    // The other site's owner, asking through their own site, gets nothing of ours.
    const outsider = as(t, w.users.outsider);
    expect(
      await outsider.query(api.audienceImport.get, {
        siteId: w.otherSiteId,
        importId: job._id,
      })
    ).toBeNull();
    expect(
      await code(
        outsider.query(api.audienceImport.get, {
          siteId: w.siteId,
          importId: job._id,
        })
      )
    ).toBe("NOT_FOUND");
    const theirExport = await outsider.query(api.audienceImport.exportPage, {
      siteId: w.otherSiteId,
      paginationOpts: { numItems: 10, cursor: null },
    });
    expect(theirExport.page).toEqual([]);
    const ours = await as(t, w.users.editor).query(api.audienceImport.exportPage, { siteId: w.siteId, paginationOpts: { numItems: 10, cursor: null } });
    expect(ours.page.map((r) => r.email)).toEqual(["ann@example.com"]);
  });

  test("a continuation (after an action's time budget) goes on from its row and finishes the job", async () => {
    const { t, w } = await setup();
    const file = await upload(t, "email,name\na@example.com,A\nnot-an-address,B\nc@example.com,C\nd@example.com,D\n");
    const importId = await importingJob(t, w, { storageId: file.storageId, total: 4, processed: 2, created: 1, failed: 1, rowErrors: [{ row: 3, message: "bad" }] });
    // Rows 2 and 3 were handled by the first action; this one starts at row 4.
    await t.action(internal.audienceImport.run, { importId, fromRow: 4 });
    const job = await as(t, w.users.editor).query(api.audienceImport.get, { siteId: w.siteId, importId });
    expect(job).toMatchObject({ status: "done", processed: 4, created: 3, failed: 1 });
    expect((await members(t, w.siteId)).map((m) => m.email)).toEqual(["c@example.com", "d@example.com"]);
    // A continuation of an ended job does nothing.
    await t.action(internal.audienceImport.run, { importId, fromRow: 2 });
    expect((await members(t, w.siteId)).length).toBe(2);
  });

  test("a batch's rows are written at once: one default newsletter for a site without one, and a repeated address makes one member", async () => {
    const { t, w } = await setup();
    const importId = await importingJob(t, w, { total: 6 });
    const newslettersBefore = await t.run(async (ctx) => (await ctx.db.query("newsletters").collect()).filter((n) => n.siteId === w.siteId));
    expect(newslettersBefore).toEqual([]);
    const row = (email: string, extra: Partial<{ name: string; access: "free" | "comped" }> = {}) => ({
      email,
      access: "free" as const,
      paidElsewhere: false,
      emailState: "subscribed" as const,
      newsletters: [],
      ...extra,
    });
    // The job never sends a repeated address (validation keeps the first); the mutation holds anyway.
    const rows = [row("a@example.com"), row("b@example.com"), row("a@example.com", { name: "Again", access: "comped" }), row("c@example.com"), row("d@example.com"), row("e@example.com")];
    expect(await t.mutation(internal.audienceImport.importRows, { importId, rows })).toBe(true);
    const { newsletters, subscriptions } = await t.run(async (ctx) => ({
      newsletters: (await ctx.db.query("newsletters").collect()).filter((n) => n.siteId === w.siteId),
      subscriptions: (await ctx.db.query("memberNewsletters").collect()).filter((s) => s.siteId === w.siteId),
    }));
    expect(newsletters).toHaveLength(1);
    const all = await members(t, w.siteId);
    expect(all.map((m) => m.email)).toEqual(["a@example.com", "b@example.com", "c@example.com", "d@example.com", "e@example.com"]);
    // The repeat ran after the first was written: it updated that member instead of making another.
    expect(all[0]).toMatchObject({ name: "Again", access: "comped" });
    expect(subscriptions).toHaveLength(5);
    expect(new Set(subscriptions.map((s) => s.newsletterId))).toEqual(new Set([newsletters[0]._id]));
    const job = await as(t, w.users.editor).query(api.audienceImport.get, { siteId: w.siteId, importId });
    expect(job).toMatchObject({ processed: 6, created: 5, updated: 1, skipped: 0 });
  });

  test("one import at a time per site", async () => {
    const { t, w } = await setup();
    const editor = as(t, w.users.editor);
    // A job mid-way (scheduled jobs may finish before the next call on convex-test, so it is made here).
    const runningId = await importingJob(t, w, { total: 10, processed: 3, created: 3 });
    const second = await upload(t, "email\nb@example.com\n");
    expect(
      await code(
        editor.mutation(api.audienceImport.start, {
          siteId: w.siteId,
          ...second,
          fileName: "b.csv",
        })
      )
    ).toBe("INVALID_STATE");
    // One whose action died long ago (a restart) does not block the site for ever; the import is idempotent.
    await t.run(async (ctx) => ctx.db.patch("audienceImports", runningId, { createdAt: Date.now() - 2 * 60 * 60_000 }));
    expect(
      await code(
        editor.mutation(api.audienceImport.start, {
          siteId: w.siteId,
          ...second,
          fileName: "b.csv",
        })
      )
    ).toBe("ok");
    await runJobs(t);
  });
});
