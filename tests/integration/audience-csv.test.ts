// Members CSV import and export through the studio's Remix routes, against a local backend running
// convex/ (isolate workers with Convex's limits): upload → background job → live progress view,
// the export streamed page by page and read back by the importer, CSV injection, cross-tenant
// reads, and a file over one read slice in many batches. The 50,000-row import is measured by
// `BENCH_ONLY=import npm run bench` (tools/bench/import.ts), not here (~2.5 min); continuations are
// convex/audienceImport.test.ts's.
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { PRESSROOM_COLUMNS } from "../../convex/model/audienceImportFormat";
import type { LocalBackend } from "../../local-backend/src/backend";
import * as studioHome from "../../app/routes/studio._index";
import * as importRoute from "../../app/routes/studio.$siteId.audience.import";
import * as exportRoute from "../../app/routes/studio.$siteId.audience.export[.]csv";
import { startAuthBackend } from "../support/auth";
import { keepProcessEnv, stopAppBackend } from "../support/live-backend";
import { action, appUser, cookieHeader, get, loader, ORIGIN, post, type AppUser } from "../support/remix-app";

let backend: LocalBackend;
let restoreEnv: () => void;
let owner: AppUser;
let stranger: AppUser;

beforeAll(async () => {
  ({ backend } = await startAuthBackend("audience-csv-", ORIGIN));
  restoreEnv = keepProcessEnv("CONVEX_URL", "AUTH_MIN_RESPONSE_MS");
  process.env.CONVEX_URL = backend.url;
  process.env.AUTH_MIN_RESPONSE_MS = "0";
  owner = await appUser(backend, "csv-owner", "Olive Owner");
  stranger = await appUser(backend, "csv-stranger", "Sam Stranger");
}, 120_000);

afterAll(async () => {
  restoreEnv?.();
  await stopAppBackend(backend);
});

let n = 0;
async function createSite(user: AppUser, name: string): Promise<Id<"sites">> {
  const slug = `csv-${Date.now().toString(36)}-${n++}`;
  const created = await action(studioHome, post("/studio", { name, slug, description: "" }, user.jar));
  expect(created.status).toBe(302);
  return created.location!.split("/")[2] as Id<"sites">;
}

/** The import form's multipart POST, as a browser sends it. */
function uploadRequest(siteId: string, user: AppUser, body: string | Uint8Array<ArrayBuffer>, fileName = "members.csv") {
  const form = new FormData();
  form.append("file", new File([body], fileName, { type: "text/csv" }));
  return new Request(`${ORIGIN}/studio/${siteId}/audience/import`, {
    method: "POST",
    headers: { Origin: ORIGIN, "User-Agent": "vitest", ...cookieHeader(user.jar) },
    body: form,
  });
}

type Job = {
  status: string;
  format: string | null;
  total: number;
  processed: number;
  created: number;
  updated: number;
  skipped: number;
  failed: number;
  rowErrors: Array<{ row: number; message: string }>;
  error: string | null;
};

/** Uploads through the route, then follows the import page's data until the job ends. */
async function importThroughRoute(siteId: Id<"sites">, body: string | Uint8Array<ArrayBuffer>, timeoutMs = 60_000): Promise<Job> {
  const res = await action(importRoute, uploadRequest(siteId, owner, body), { siteId });
  expect(res.status, JSON.stringify(res.data)).toBe(303);
  const until = Date.now() + timeoutMs;
  for (;;) {
    const page = await loader(importRoute, get(`/studio/${siteId}/audience/import`, owner.jar), { siteId });
    const job = page.data.imports[0] as Job;
    if (job.status === "done" || job.status === "failed") return job;
    if (Date.now() > until) throw new Error(`import still ${job.status} after ${timeoutMs} ms (${job.processed}/${job.total})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function exportCsv(siteId: Id<"sites">, user = owner) {
  const res = await loader(exportRoute, get(`/studio/${siteId}/audience/export.csv`, user.jar), { siteId });
  return res;
}

const rowsOf = (csv: string) => parse(csv, { columns: true }) as Array<Record<string, string>>;

describe("members CSV import and export through the studio", () => {
  test("upload through the route: the job runs in the background, detected format and row errors shown", async () => {
    const siteId = await createSite(owner, "Import Daily");
    const job = await importThroughRoute(siteId, "Email,Name\nann@example.com,Ann\nbad-address,Bob\nANN@example.com,Ann Again\ncid@example.com,\n");
    expect(job).toMatchObject({ status: "done", format: "csv", total: 4, processed: 4, created: 2, failed: 2, error: null });
    expect(job.rowErrors).toEqual([
      { row: 3, message: '"bad-address" is not a valid email address.' },
      { row: 4, message: "ann@example.com is already on row 2; only the first is imported." },
    ]);
  });

  test("CSV imports of malformed files: the route refuses an empty upload; a binary file fails with nothing written", async () => {
    const siteId = await createSite(owner, "Malformed Daily");
    const empty = await action(importRoute, uploadRequest(siteId, owner, ""), { siteId });
    expect(empty.status).toBe(400);
    expect(empty.data.errors.fields.file).toBe("Choose a CSV file to upload.");
    const job = await importThroughRoute(siteId, new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x08, 0x00, 0xff, 0xfe, 0x00]));
    expect(job).toMatchObject({ status: "failed", created: 0, error: expect.stringContaining("not a CSV text file") });
    const csv = await exportCsv(siteId);
    expect(rowsOf(csv.data)).toEqual([]);
  });

  test("export streams every member, and the importer reads it back unchanged (round trip)", async () => {
    const a = await createSite(owner, "Round Trip A");
    const lines = ["email,name,subscribed_to_emails,complimentary_plan,stripe_customer_id,created_at"];
    for (let i = 0; i < 450; i++) {
      lines.push(
        `reader${i}@example.com,"Reader ${i}, Esq.",${i % 7 === 0 ? "false" : "true"},${i % 11 === 0},${i % 13 === 0 ? "cus_x" : ""},2024-01-${String((i % 28) + 1).padStart(
          2,
          "0"
        )}T10:00:00.000Z`
      );
    }
    expect(await importThroughRoute(a, lines.join("\n"))).toMatchObject({ status: "done", format: "ghost", created: 450 });
    const first = await exportCsv(a);
    expect(first.status).toBe(200);
    expect(first.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    expect(first.headers.get("Content-Disposition")).toMatch(/^attachment; filename="members-\d{4}-\d{2}-\d{2}\.csv"$/);
    expect(first.headers.get("Cache-Control")).toBe("private, no-store");
    expect((first.data as string).split("\r\n")[0]).toBe(PRESSROOM_COLUMNS.join(","));
    const exported = rowsOf(first.data);
    expect(exported).toHaveLength(450); // more than two export pages of 200
    expect(new Set(exported.map((r) => r.email)).size).toBe(450);
    expect(exported.find((r) => r.email === "reader0@example.com")).toMatchObject({ name: "Reader 0, Esq.", access: "comped", email_state: "unsubscribed", source: "import" });

    const b = await createSite(owner, "Round Trip B");
    expect(await importThroughRoute(b, first.data)).toMatchObject({ status: "done", format: "pressroom", created: 450, failed: 0 });
    const again = rowsOf((await exportCsv(b)).data);
    const key = (r: Record<string, string>) => [r.email, r.name, r.access, r.email_state, r.created_at].join("|");
    expect(again.map(key).sort()).toEqual(exported.map(key).sort());
    // And importing its own export again changes nothing.
    expect(await importThroughRoute(b, first.data)).toMatchObject({ status: "done", created: 0, updated: 0, skipped: 450 });
  }, 120_000);

  test("CSV injection: names starting with = + - @ are exported with a leading ' and read back as they were", async () => {
    const siteId = await createSite(owner, "Injection Daily");
    const evil = ['=HYPERLINK("http://evil.example","click")', "+SUM(1,2)", "-2+3", "@cmd"];
    const csv = ["email,name", ...evil.map((name, i) => `e${i}@example.com,"${name.replace(/"/g, '""')}"`)].join("\n");
    expect(await importThroughRoute(siteId, csv)).toMatchObject({ status: "done", created: 4 });
    const out = (await exportCsv(siteId)).data as string;
    for (const [i, name] of evil.entries()) {
      const line = out.split("\r\n").find((l) => l.startsWith(`e${i}@example.com,`))!;
      expect((parse(line) as string[][])[0][1], line).toBe(`'${name}`);
    }
    const b = await createSite(owner, "Injection Back");
    expect(await importThroughRoute(b, out)).toMatchObject({ created: 4, failed: 0 });
    const names = rowsOf((await exportCsv(b)).data).map((r) => r.name);
    expect(names.sort()).toEqual(evil.map((e) => `'${e}`).sort());
  }, 60_000);

  test("cross-tenant read: export of another site's members, and its import page, are 404 for a stranger", async () => {
    const siteId = await createSite(owner, "Private Daily");
    await importThroughRoute(siteId, "email\nsecret@example.com\n");
    const res = await exportCsv(siteId, stranger);
    expect(res.status).toBe(404);
    expect(String(res.data)).not.toContain("secret@example.com");
    expect((await loader(importRoute, get(`/studio/${siteId}/audience/import`, stranger.jar), { siteId })).status).toBe(404);
    const upload = await action(importRoute, uploadRequest(siteId, stranger, "email\nplanted@example.com\n"), { siteId });
    expect(upload.status).toBe(400);
    expect((await owner.convex.query(api.audience.list, { siteId, search: "planted", paginationOpts: { numItems: 5, cursor: null } })).page).toEqual([]);
  });

  test("a file over one 512 KiB read slice, in 12 batches of 100 rows: every row once, row errors numbered across slices", async () => {
    const siteId = await createSite(owner, "Wide List");
    // A notes column the importer ignores makes each row ~500 bytes, so the file spans two slices and
    // records (quoted, with commas and a line break) straddle the slice boundary.
    const notes = (i: number) => `"Met at the fair, table ${i}.\n${"x".repeat(480)}"`;
    const lines = ["email,name,notes"];
    for (let i = 0; i < 1_200; i++) lines.push(`${i === 1_150 ? "not-an-address" : `wide${i}@example.com`},Wide ${i},${notes(i)}`);
    const body = lines.join("\n");
    expect(body.length).toBeGreaterThan(512 * 1024); // SLICE_BYTES in model/audienceImportRun.ts
    const job = await importThroughRoute(siteId, body);
    // Row numbers count records (header = row 1), not lines, whatever slice a record was read in.
    expect(job).toMatchObject({ status: "done", format: "csv", total: 1_200, processed: 1_200, created: 1_199, failed: 1, error: null });
    expect(job.rowErrors).toEqual([{ row: 1_152, message: '"not-an-address" is not a valid email address.' }]);
    const exported = rowsOf((await exportCsv(siteId)).data);
    const emails = exported.map((r) => r.email);
    expect(new Set(emails).size).toBe(1_199);
    expect(emails.sort()).toEqual(lines.slice(1).map((l) => l.split(",")[0]).filter((e) => e !== "not-an-address").sort());
    expect(exported.find((r) => r.email === "wide700@example.com")?.name).toBe("Wide 700");
  }, 120_000);
});
