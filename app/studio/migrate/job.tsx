// One content import as the owner follows it: the dry run's report with "Import N posts" / "Cancel",
// then a live progress bar, then the summary. The route passes the live job (useLive); the buttons
// are plain forms posting to the route's action, so they work without JavaScript too.
import { Form, Link, useNavigation } from "@remix-run/react";
import { useEffect, useRef } from "react";
import { Time } from "../format";
import { count, fileSize, n, RUNNING, STATUS_LABEL, type ImportView } from "./api";
import { PlanSummary, ReportTable } from "./report";

function JobButton({ intent, importId, label, busyLabel, primary }: { intent: "confirm" | "cancel"; importId: string; label: string; busyLabel: string; primary?: boolean }) {
  const navigation = useNavigation();
  const busy = navigation.state !== "idle" && navigation.formData?.get("intent") === intent;
  return (
    <Form method="post" className="st-form--inline">
      <input type="hidden" name="importId" value={importId} />
      <button type="submit" name="intent" value={intent} className={`st-button${primary ? " st-button--primary" : ""}`} disabled={busy} data-testid={`import-${intent}`}>
        {busy ? busyLabel : label}
      </button>
    </Form>
  );
}

/** "312 of 1,000 posts" (the progress bar's spoken value and its visible caption). */
export function progressText(job: Pick<ImportView, "processed" | "total">): string {
  return `${n(job.processed)} of ${count(job.total, "post")}`;
}

function Progress({ job }: { job: ImportView }) {
  const max = Math.max(job.total, 1);
  const value = job.status === "done" ? max : Math.min(job.processed, max);
  const text = progressText(job);
  return (
    <div className="st-migrate-progress">
      <progress className="st-progress" max={max} value={value} aria-valuenow={value} aria-valuemin={0} aria-valuemax={max} aria-valuetext={text} aria-labelledby="import-progress-label" />
      <p id="import-progress-label" data-testid="import-progress">
        {text}
      </p>
    </div>
  );
}

function Summary({ job, siteId }: { job: ImportView; siteId: string }) {
  return (
    <>
      <dl className="st-migrate-stats" data-testid="import-summary">
        <div className="st-migrate-stat">
          <dt>Created</dt>
          <dd className="st-migrate-stat__value" data-testid="summary-created">
            {n(job.created)}
          </dd>
        </div>
        <div className="st-migrate-stat">
          <dt>Skipped</dt>
          <dd className="st-migrate-stat__value" data-testid="summary-skipped">
            {n(job.skipped)}
          </dd>
        </div>
        <div className="st-migrate-stat">
          <dt>Failed</dt>
          <dd className="st-migrate-stat__value" data-testid="summary-failed">
            {n(job.failed)}
          </dd>
        </div>
      </dl>
      <p className="st-inline-buttons">
        <Link to={`/studio/${siteId}`} className="st-button st-button--primary" data-testid="import-posts-link">
          See the posts
        </Link>
        {job.memberImportIds.length ? <Link to={`/studio/${siteId}/audience/import`}>Follow the members import</Link> : null}
      </p>
    </>
  );
}

/**
 * The job's panel. `focusOnMount`: the page was just sent here by the upload, so the panel's heading
 * takes focus (as it does whenever the status changes), and a screen reader hears where it is.
 */
export function ImportJob({ job, siteId, focusOnMount }: { job: ImportView; siteId: string; focusOnMount: boolean }) {
  const heading = useRef<HTMLHeadingElement>(null);
  const lastStatus = useRef<string | null>(focusOnMount ? null : job.status);
  useEffect(() => {
    if (lastStatus.current !== job.status) heading.current?.focus();
    lastStatus.current = job.status;
  }, [job._id, job.status]);
  const running = RUNNING.has(job.status);
  return (
    <section className="st-card st-migrate-job" data-testid="import-job" data-status={job.status} aria-labelledby="import-job-title" aria-busy={job.status === "analyzing"}>
      <h2 id="import-job-title" ref={heading} tabIndex={-1}>
        {job.fileName} <span className="st-muted">· {STATUS_LABEL[job.status]}</span>
      </h2>
      <p className="st-muted">
        {job.sourceLabel ? `${job.sourceLabel}, ` : ""}
        {fileSize(job.size)}. Uploaded <Time ms={job.createdAt} />
        {job.finishedAt ? (
          <>
            , finished <Time ms={job.finishedAt} />
          </>
        ) : null}
        .
      </p>
      {/* One polite live region for what changes on its own: the status line and the progress. */}
      <div aria-live="polite" data-testid="import-status">
        {job.status === "analyzing" ? <p>Reading the file and checking every post. Nothing is written to the site until you confirm.</p> : null}
        {job.status === "ready" && job.plan ? <p>Dry run finished: this is what the import will do. Nothing has been written yet.</p> : null}
        {job.status === "importing" || job.status === "done" ? <Progress job={job} /> : null}
        {job.status === "done" ? (
          <p data-testid="import-done">
            Import finished: {count(job.created, "item")} created, {n(job.skipped)} skipped, {n(job.failed)} failed.
          </p>
        ) : null}
        {job.status === "canceled" ? (
          <p>
            Canceled. {job.created ? `${count(job.created, "item")} imported before the cancel stay; importing the same file again skips them.` : "Nothing was imported."}
          </p>
        ) : null}
      </div>
      {job.status === "failed" ? (
        <p className="st-error" role="alert" data-testid="import-error">
          {job.error ?? "The file could not be imported."} Nothing was written to the site.
        </p>
      ) : null}
      {job.plan && (job.status === "ready" || job.status === "importing") ? <PlanSummary plan={job.plan} siteId={siteId} /> : null}
      {job.status === "done" ? <Summary job={job} siteId={siteId} /> : null}
      <ReportTable job={job} />
      {job.status === "ready" || running ? (
        <div className="st-inline-buttons st-migrate-actions">
          {job.status === "ready" && job.plan ? (
            <JobButton intent="confirm" importId={job._id} primary label={`Import ${count(job.plan.posts, "post")}`} busyLabel="Starting…" />
          ) : null}
          <JobButton intent="cancel" importId={job._id} label="Cancel" busyLabel="Canceling…" />
          {running ? (
            <noscript>
              <a href={`/studio/${siteId}/migrate?import=${job._id}`}>Refresh to see the progress</a>
            </noscript>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
