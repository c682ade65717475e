import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { MAX_IMPORT_BYTES } from "../../convex/model/audienceImportFormat";
import { FormMessage } from "../studio/components";
import { formErrorsFrom } from "../studio/errors";
import { Time } from "../studio/format";
import { useLive } from "../studio/live";
import { loadOrThrow, privateHeaders, reply, requireStudio, requireStudioAction } from "../studio/studio.server";

// /studio/:siteId/audience/import: upload a members CSV (a Pressroom, Substack or Ghost export, or
// any CSV with an email column). The action puts the file in Convex file storage and starts the
// import (audienceImport:start, audience.manage); the page then follows the job live (a Convex
// subscription to audienceImport:recent): detected format, a progress bar, counts, row errors.

export const meta: MetaFunction = () => [{ title: "Import members · Studio" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { convex, headers, siteId } = await requireStudio(request, params);
  const imports = await loadOrThrow(convex.query(api.audienceImport.recent, { siteId }));
  return data({ siteId, imports, maxMb: MAX_IMPORT_BYTES / 2 ** 20 }, { headers: privateHeaders(headers) });
}

const fileError = (headers: Headers, message: string, status = 400) => reply({ intent: "import", errors: { fields: { file: message } } }, headers, status);

async function sha256Base64(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return Buffer.from(await crypto.subtle.digest("SHA-256", bytes)).toString("base64");
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { convex, headers, siteId } = await requireStudioAction(request, params);
  const tooBig = `Choose a file under ${MAX_IMPORT_BYTES / 2 ** 20} MB (split bigger lists into several files).`;
  // Refused before the body is read: the form's other fields are a few bytes.
  if (Number(request.headers.get("Content-Length") ?? 0) > MAX_IMPORT_BYTES + 64 * 1024) return fileError(headers, tooBig, 413);
  let form: FormData;
  try {
    form = await request.formData();
  } catch {
    return fileError(headers, "Choose a CSV file to upload.");
  }
  const file = form.get("file");
  if (!(file instanceof Blob) || file.size === 0) return fileError(headers, "Choose a CSV file to upload.");
  if (file.size > MAX_IMPORT_BYTES) return fileError(headers, tooBig, 413);
  const fileName = (file as File).name || "members.csv";
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const uploadUrl = await convex.mutation(api.audienceImport.generateUploadUrl, { siteId });
    const res = await fetch(uploadUrl, { method: "POST", headers: { "Content-Type": "text/csv" }, body: bytes });
    if (!res.ok) throw new Error(`upload failed: ${res.status}`);
    const { storageId } = (await res.json()) as { storageId: Id<"_storage"> };
    await convex.mutation(api.audienceImport.start, { siteId, storageId, sha256: await sha256Base64(bytes), fileName });
  } catch (error) {
    return reply({ intent: "import", errors: formErrorsFrom(error, {}, ["file"]) }, headers, 400);
  }
  // Back to the page (GET), which follows the new import live.
  return redirect(`/studio/${siteId}/audience/import`, { status: 303, headers: privateHeaders(headers) });
}

type ImportView = ReturnType<typeof useLoaderData<typeof loader>>["imports"][number];

const STATUS_LABEL: Record<ImportView["status"], string> = {
  queued: "Waiting to start",
  validating: "Checking the file",
  importing: "Importing",
  done: "Done",
  failed: "Failed",
};

const n = (x: number) => x.toLocaleString("en-US");

function Progress({ job }: { job: ImportView }) {
  const running = job.status === "queued" || job.status === "validating" || job.status === "importing";
  return (
    <section className="st-card" data-testid="import-job" data-status={job.status} aria-live="polite">
      <h2>
        {job.fileName} <span className="st-muted">· {STATUS_LABEL[job.status]}</span>
      </h2>
      {job.formatLabel ? <p>Detected: {job.formatLabel}.</p> : null}
      {job.error ? (
        <p className="st-error" role="alert">
          {job.error} Nothing was imported.
        </p>
      ) : null}
      {running || job.status === "done" ? (
        <>
          <progress className="st-progress" max={Math.max(job.total, 1)} value={job.status === "done" ? Math.max(job.total, 1) : job.processed} aria-label="Import progress" />
          <p data-testid="import-counts">
            {job.total ? `${n(job.processed)} of ${n(job.total)} rows. ` : null}
            {n(job.created)} new, {n(job.updated)} updated, {n(job.skipped)} already up to date, {n(job.failed)} not imported.
          </p>
        </>
      ) : null}
      {job.compedFromPaid > 0 ? (
        <p className="st-muted">
          {n(job.compedFromPaid)} paid {job.compedFromPaid === 1 ? "member was" : "members were"} imported as comped: their subscription stays with the old platform, nothing bills
          them here. Cancel it there when they subscribe here, or end the comp on their page.
        </p>
      ) : null}
      {job.rowErrors.length ? (
        <>
          <h3>Rows not imported{job.failed > job.rowErrors.length ? ` (the first ${job.rowErrors.length} of ${n(job.failed)})` : ""}</h3>
          <table className="st-table" data-testid="import-errors">
            <thead>
              <tr>
                <th scope="col">Row</th>
                <th scope="col">Problem</th>
              </tr>
            </thead>
            <tbody>
              {job.rowErrors.map((e) => (
                <tr key={e.row}>
                  <td>{e.row}</td>
                  <td>{e.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
      <p className="st-muted">
        Started <Time ms={job.createdAt} />
        {job.finishedAt ? (
          <>
            , finished <Time ms={job.finishedAt} />
          </>
        ) : null}
        .
      </p>
    </section>
  );
}

export default function ImportMembers() {
  const { siteId, imports: initial, maxMb } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const { data: imports } = useLive(api.audienceImport.recent, { siteId: siteId as Id<"sites"> }, initial);
  const [latest, ...older] = imports;
  const base = `/studio/${siteId}/audience`;
  return (
    <main id="main" className="st-page">
      <header className="st-page__header">
        <h1>Import members</h1>
        <p className="st-inline-buttons">
          <Link to={base}>Back to the audience</Link>
          <a href={`${base}/export.csv`} className="st-button" download>
            Export CSV
          </a>
        </p>
      </header>
      <Form method="post" encType="multipart/form-data" className="st-form st-card" noValidate>
        <FormMessage errors={result?.errors} />
        <p>
          A CSV file of up to {maxMb} MB: a Pressroom export, Substack&apos;s subscriber export, Ghost&apos;s members export, or any CSV whose first row names an &quot;email&quot;
          column (and optionally &quot;name&quot;). Members already here are matched by address: importing a file twice adds nobody twice.
        </p>
        <div className="st-field">
          <label htmlFor="import-file">CSV file</label>
          <input
            id="import-file"
            type="file"
            name="file"
            accept=".csv,text/csv"
            required
            aria-invalid={result?.errors?.fields?.file ? true : undefined}
            aria-describedby={result?.errors?.fields?.file ? "import-file-error" : undefined}
          />
          {result?.errors?.fields?.file ? (
            <p className="st-error" id="import-file-error" role="alert">
              {result.errors.fields.file}
            </p>
          ) : null}
        </div>
        <button type="submit" className="st-button st-button--primary" disabled={navigation.state === "submitting"}>
          {navigation.state === "submitting" ? "Uploading…" : "Import"}
        </button>
      </Form>
      {latest ? <Progress job={latest} /> : null}
      {older.length ? (
        <section className="st-card">
          <h2>Earlier imports</h2>
          <table className="st-table">
            <thead>
              <tr>
                <th scope="col">File</th>
                <th scope="col">When</th>
                <th scope="col">Result</th>
              </tr>
            </thead>
            <tbody>
              {older.map((job) => (
                <tr key={job._id}>
                  <td>{job.fileName}</td>
                  <td>
                    <Time ms={job.createdAt} />
                  </td>
                  <td>{job.error ? `Failed: ${job.error}` : `${STATUS_LABEL[job.status]}: ${n(job.created)} new, ${n(job.updated)} updated, ${n(job.failed)} not imported`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
    </main>
  );
}
