import { data, redirect, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import { useState } from "react";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { MAX_IMPORT_FILE_BYTES, SOURCE_LABELS } from "../../convex/migrate/types";
import { can } from "../../convex/shared/roles";
import { FieldError, FormMessage } from "../studio/components";
import { formErrorsFrom, type FormErrors } from "../studio/errors";
import { Time } from "../studio/format";
import { useLive } from "../studio/live";
import { count, IMPORT_ACCEPT, isMembersCsv, STATUS_LABEL, type ImportView } from "../studio/migrate/api";
import { ExportPanel } from "../studio/migrate/export";
import { ImportJob } from "../studio/migrate/job";
import { attempt, field, forbidden, loadOrThrow, privateHeaders, reply, requireStudio, requireStudioAction, type StudioContext } from "../studio/studio.server";
import migrateStyles from "../styles/studio/migrate.css?url";

// /studio/:siteId/migrate: Settings → Import & export (issue #17), owners only (site.import).
// Import: the action uploads the file to Convex file storage and starts the dry run
// (api.contentImport.start); the page follows the job live (api.contentImport.get): the report, then
// "Import N posts" (api.contentImport.confirm), a progress bar, the summary. Export: download links.
// Every step is a form POST, so it works without JavaScript; with it, progress updates live.

export const links: LinksFunction = () => [{ rel: "stylesheet", href: migrateStyles }];

export const meta: MetaFunction = () => [{ title: "Import & export · Studio" }];

const MAX_MB = MAX_IMPORT_FILE_BYTES / 2 ** 20;
const TOO_BIG = `Choose a file under ${MAX_MB} MB. Export posts and members separately if yours is bigger.`;
const NO_FILE = "Choose a Ghost .json, a WordPress .xml, or a Substack or Medium .zip export.";
const CSV = "This is a members CSV: import it under Audience → Import.";

/** The role check first: a page the role cannot use is a 403, whatever the job API would say. */
async function requireImporter(ctx: StudioContext) {
  const settings = await loadOrThrow(ctx.convex.query(api.sites.getSettings, { siteId: ctx.siteId }));
  if (!can(settings.role, "site.import")) throw forbidden();
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const ctx = await requireStudio(request, params);
  await requireImporter(ctx);
  const { convex, headers, siteId } = ctx;
  const selected = new URL(request.url).searchParams.get("import");
  const [recent, picked] = await Promise.all([
    loadOrThrow(convex.query(api.contentImport.recent, { siteId })),
    selected && /^[a-z0-9]{1,64}$/i.test(selected) ? loadOrThrow(convex.query(api.contentImport.get, { siteId, importId: selected as Id<"contentImports"> })) : null,
  ]);
  return data({ siteId, recent, picked }, { headers: privateHeaders(headers) });
}

type UploadReply = { intent: "upload"; errors: FormErrors; csv: boolean };
const uploadReply = (headers: Headers, errors: FormErrors, status = 400, csv = false) =>
  data<UploadReply>({ intent: "upload", errors, csv }, { status, headers: privateHeaders(headers) });
const fileError = (headers: Headers, message: string, status = 400, csv = false) => uploadReply(headers, { fields: { file: message } }, status, csv);

async function sha256Base64(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return Buffer.from(await crypto.subtle.digest("SHA-256", bytes)).toString("base64");
}

async function upload(ctx: StudioContext, request: Request) {
  const { convex, headers, siteId } = ctx;
  // Refused before the body is read: the form's other fields are a few bytes.
  if (Number(request.headers.get("Content-Length") ?? 0) > MAX_IMPORT_FILE_BYTES + 64 * 1024) return fileError(headers, TOO_BIG, 413);
  let form: FormData;
  try {
    form = await request.formData();
  } catch {
    return fileError(headers, NO_FILE);
  }
  const file = form.get("file");
  if (!(file instanceof Blob) || file.size === 0) return fileError(headers, NO_FILE);
  if (file.size > MAX_IMPORT_FILE_BYTES) return fileError(headers, TOO_BIG, 413);
  const fileName = ((file as File).name || "export").slice(0, 200);
  if (isMembersCsv(fileName, file.type)) return fileError(headers, CSV, 400, true);
  let importId: Id<"contentImports">;
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const uploadUrl = await convex.mutation(api.contentImport.generateUploadUrl, { siteId });
    const res = await fetch(uploadUrl, { method: "POST", headers: { "Content-Type": file.type || "application/octet-stream" }, body: bytes });
    if (!res.ok) throw new Error(`upload failed: ${res.status}`);
    const { storageId } = (await res.json()) as { storageId: Id<"_storage"> };
    importId = await convex.mutation(api.contentImport.start, { siteId, storageId, sha256: await sha256Base64(bytes), fileName });
  } catch (error) {
    return uploadReply(headers, formErrorsFrom(error, {}, ["file"]));
  }
  // Back to the page (GET), which follows the new dry run live.
  return redirect(`/studio/${siteId}/migrate?import=${importId}`, { status: 303, headers: privateHeaders(headers) });
}

export async function action({ request, params }: ActionFunctionArgs) {
  const ctx = await requireStudioAction(request, params);
  // The upload is multipart (its intent is the content type); confirm and cancel are small forms.
  if ((request.headers.get("Content-Type") ?? "").startsWith("multipart/form-data")) return upload(ctx, request);
  const { convex, headers, siteId } = ctx;
  const form = await request.formData();
  const intent = field(form, "intent", 20);
  const importId = field(form, "importId", 64) as Id<"contentImports">;
  if (intent === "confirm") return attempt("confirm", headers, async () => void (await convex.mutation(api.contentImport.confirm, { siteId, importId })));
  if (intent === "cancel") return attempt("cancel", headers, async () => void (await convex.mutation(api.contentImport.cancel, { siteId, importId })));
  return reply({ intent: "unknown", errors: { form: "Unknown action." } }, headers, 400);
}

function Recent({ jobs, siteId, current }: { jobs: ImportView[]; siteId: string; current: string | null }) {
  if (!jobs.length) return null;
  return (
    <section className="st-card" aria-labelledby="recent-title">
      <h2 id="recent-title">Recent imports</h2>
      <table className="st-table st-table--cards" data-testid="recent-imports">
        <thead>
          <tr>
            <th scope="col">File</th>
            <th scope="col">Uploaded</th>
            <th scope="col">Result</th>
          </tr>
        </thead>
        <tbody>
          {jobs.map((job) => (
            <tr key={job._id} aria-current={job._id === current ? "true" : undefined}>
              <td>
                <Link to={`/studio/${siteId}/migrate?import=${job._id}`}>{job.fileName}</Link>
              </td>
              <td data-label="Uploaded">
                <Time ms={job.createdAt} />
              </td>
              <td data-label="Result">
                {job.status === "failed"
                  ? `Failed: ${job.error ?? "the file could not be imported"}`
                  : job.status === "done" || job.status === "canceled"
                    ? `${STATUS_LABEL[job.status]}: ${count(job.created, "item")} created, ${job.skipped.toLocaleString("en-US")} skipped, ${job.failed.toLocaleString("en-US")} failed`
                    : STATUS_LABEL[job.status]}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export default function ImportExport() {
  const { siteId, recent: initialRecent, picked: initialPicked } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const [params] = useSearchParams();
  const sid = siteId as Id<"sites">;
  const { data: recent } = useLive(api.contentImport.recent, { siteId: sid }, initialRecent);
  const pickedId = initialPicked?._id ?? null;
  const { data: picked } = useLive(api.contentImport.get, pickedId ? { siteId: sid, importId: pickedId } : "skip", initialPicked);
  // The job in view: the one in the address (just uploaded, or chosen below), else the newest.
  const job = picked ?? recent[0] ?? null;
  // A file checked in the browser before it is sent (the action checks again).
  const [clientError, setClientError] = useState<{ message: string; csv: boolean } | null>(null);
  const uploadResult = result?.intent === "upload" ? (result as UploadReply) : null;
  const uploadError = clientError?.message ?? uploadResult?.errors.fields?.file;
  const csv = clientError ? clientError.csv : Boolean(uploadResult?.csv);
  const uploading = navigation.state === "submitting" && navigation.formEncType === "multipart/form-data";
  const busy = job ? job.status === "analyzing" || job.status === "importing" : false;
  return (
    <main id="main" className="st-page st-migrate">
      <header className="st-page__header">
        <h1>Import &amp; export</h1>
        <p>
          <Link to={`/studio/${siteId}/settings`}>Back to Settings</Link>
        </p>
      </header>
      <Form
        method="post"
        encType="multipart/form-data"
        className="st-form st-card"
        noValidate
        aria-labelledby="import-title"
        onSubmit={(e) => {
          if (clientError) e.preventDefault();
        }}
      >
        <h2 id="import-title">Import</h2>
        <FormMessage errors={uploadResult?.errors.fields?.file ? undefined : uploadResult?.errors} />
        <p>
          Bring posts, tags, authors and images from {Object.values(SOURCE_LABELS).join(", ").replace(/, ([^,]*)$/, " or $1")}. First comes a dry run: you see what will
          be created, what clashes and what cannot be carried over, and nothing is written until you confirm. Importing the same file again creates nothing twice.
        </p>
        <div className="st-field">
          <label htmlFor="import-file">Export file (.json, .xml or .zip, up to {MAX_MB} MB)</label>
          <input
            id="import-file"
            type="file"
            name="file"
            accept={IMPORT_ACCEPT}
            required
            aria-invalid={uploadError ? true : undefined}
            aria-describedby={uploadError ? "import-file-error import-file-hint" : "import-file-hint"}
            onChange={(e) => {
              const f = e.currentTarget.files?.[0];
              if (!f) setClientError(null);
              else if (isMembersCsv(f.name, f.type)) setClientError({ message: CSV, csv: true });
              else if (f.size > MAX_IMPORT_FILE_BYTES) setClientError({ message: TOO_BIG, csv: false });
              else setClientError(null);
            }}
            data-testid="import-file"
          />
          <small id="import-file-hint" className="st-hint">
            Ghost: Settings → Labs → Export. WordPress: Tools → Export → All content. Substack: Settings → Exports. Medium: Settings → Download your information. Members
            lists (.csv) go to <Link to={`/studio/${siteId}/audience/import`}>Audience → Import</Link>.
          </small>
          <FieldError id="import-file" error={uploadError} />
          {csv ? (
            <p>
              <Link to={`/studio/${siteId}/audience/import`} className="st-button" data-testid="import-csv-link">
                Go to Audience → Import
              </Link>
            </p>
          ) : null}
        </div>
        <button type="submit" className="st-button st-button--primary" disabled={uploading || busy} data-testid="import-upload">
          {uploading ? "Uploading…" : "Upload and check"}
        </button>
        {busy ? <p className="st-hint">One import at a time: this one can start when the current import ends or is canceled.</p> : null}
      </Form>
      {result && result.intent !== "upload" ? <FormMessage errors={result.errors} /> : null}
      {job ? <ImportJob key={job._id} job={job} siteId={siteId} focusOnMount={params.has("import") && job._id === pickedId} /> : null}
      <Recent jobs={recent} siteId={siteId} current={job?._id ?? null} />
      <ExportPanel siteId={siteId} />
    </main>
  );
}
