// The dry run's findings: what the import will create (the plan) and what it reports item by item
// (clashes, unsupported content, bad items with their positions). Report messages are plain text
// from the job; React escapes them.
import { Link } from "@remix-run/react";
import type { ImportPlan, ImportReportEntry, ImportView } from "./api";
import { count, n } from "./api";

const KIND_LABEL: Record<ImportReportEntry["kind"], string> = {
  clash: "Slug clash",
  unsupported: "Unsupported",
  "bad-item": "Not readable",
  skipped: "Skipped",
  "placeholder-author": "New author",
  page: "Page",
  note: "Note",
};

/** Worst first: what the owner must know before importing leads the table. */
const KIND_ORDER: ImportReportEntry["kind"][] = ["bad-item", "clash", "unsupported", "placeholder-author", "page", "skipped", "note"];

function Stat({ label, value, detail, testId }: { label: string; value: number; detail?: string; testId: string }) {
  return (
    <div className="st-migrate-stat" data-testid={`plan-${testId}`}>
      <dt>{label}</dt>
      <dd>
        <span className="st-migrate-stat__value">{n(value)}</span>
        {detail ? <span className="st-migrate-stat__detail">{detail}</span> : null}
      </dd>
    </div>
  );
}

function parts(items: [number, string][]): string {
  return items
    .filter(([x]) => x > 0)
    .map(([x, label]) => `${n(x)} ${label}`)
    .join(", ");
}

/** The plan as a grid of numbers: every figure is what the import will do to the site as it is now. */
export function PlanSummary({ plan, siteId }: { plan: ImportPlan; siteId: string }) {
  return (
    <>
      <dl className="st-migrate-stats" data-testid="import-plan">
        <Stat
          testId="posts"
          label="Posts"
          value={plan.posts}
          detail={parts([
            [plan.published, "published"],
            [plan.drafts, "drafts"],
            [plan.scheduled, "scheduled"],
            [plan.pages, plan.pages === 1 ? "page (as a draft)" : "pages (as drafts)"],
          ])}
        />
        <Stat testId="paid" label="Paid posts → featured" value={plan.paid} />
        <Stat testId="tags" label="Tags" value={plan.tagsNew + plan.tagsExisting} detail={parts([[plan.tagsNew, "new"], [plan.tagsExisting, "already here"]])} />
        <Stat
          testId="categories"
          label="Categories"
          value={plan.categoriesNew + plan.categoriesExisting}
          detail={parts([[plan.categoriesNew, "new"], [plan.categoriesExisting, "already here"]])}
        />
        <Stat
          testId="authors"
          label="Authors"
          value={plan.authorsMatched + plan.authorsPlaceholder}
          detail={parts([[plan.authorsMatched, "matched to members"], [plan.authorsPlaceholder, plan.authorsPlaceholder === 1 ? "placeholder" : "placeholders"]])}
        />
        <Stat testId="images" label="Images from the file" value={plan.images} />
        <Stat testId="members" label="Members" value={plan.members} />
      </dl>
      {plan.alreadyImported || plan.slugClashes || plan.unsupported || plan.badItems ? (
        <ul className="st-migrate-flags" data-testid="import-flags">
          {plan.alreadyImported ? <li>{count(plan.alreadyImported, "post")} already imported from this source: skipped, nothing is created twice.</li> : null}
          {plan.slugClashes ? <li>{count(plan.slugClashes, "slug clash", "slug clashes")}: those posts get a numbered address; their old links still lead to them.</li> : null}
          {plan.unsupported ? <li>{count(plan.unsupported, "piece")} of content the editor cannot hold: kept as a link or a note.</li> : null}
          {plan.badItems ? <li className="st-migrate-flags__bad">{count(plan.badItems, "item")} cannot be read and will be left out; the rest are imported.</li> : null}
        </ul>
      ) : null}
      {plan.paid ? (
        <p className="st-hint">
          Paid-only posts become featured posts behind the paywall. Readers can only subscribe once the publication has a plan:{" "}
          <Link to={`/studio/${siteId}/plans`}>Plans &amp; revenue</Link>.
        </p>
      ) : null}
      {plan.authorsPlaceholder ? (
        <p className="st-hint">
          Authors who are not members yet keep their name on their posts. Invite them from <Link to={`/studio/${siteId}/members`}>Members</Link> to hand their posts over.
        </p>
      ) : null}
    </>
  );
}

/** Every report entry, worst kinds first, in a scrollable table (keyboard-scrollable: it takes focus). */
export function ReportTable({ job }: { job: Pick<ImportView, "report" | "reportOverflow"> }) {
  if (!job.report.length) return null;
  const rows = job.report
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => KIND_ORDER.indexOf(a.entry.kind) - KIND_ORDER.indexOf(b.entry.kind) || (a.entry.position ?? 0) - (b.entry.position ?? 0) || a.index - b.index);
  const total = job.report.length + job.reportOverflow;
  return (
    <section className="st-migrate-report" aria-labelledby="import-report-title">
      <h3 id="import-report-title">Report ({n(total)})</h3>
      <div className="st-migrate-report__scroll" tabIndex={0} role="region" aria-labelledby="import-report-title">
        <table className="st-table st-table--cards" data-testid="import-report">
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col" className="st-num">
                Item #
              </th>
              <th scope="col">Item</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ entry, index }) => (
              <tr key={index} data-kind={entry.kind} data-testid="report-row">
                <td>
                  <span className={`st-migrate-kind st-migrate-kind--${entry.kind}`}>{KIND_LABEL[entry.kind]}</span>
                </td>
                <td className="st-num" data-label="Item #">
                  {entry.position ?? "–"}
                </td>
                <td data-label="Item">{entry.item ?? ""}</td>
                <td data-label="Details">{entry.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {job.reportOverflow ? <p className="st-hint">And {count(job.reportOverflow, "more entry", "more entries")} not listed here.</p> : null}
    </section>
  );
}
