import type { DiffLine } from "../diff";

/** A line diff, with +/− markers (not only color) for what was added and removed. */
export function DiffView({ diff, beforeLabel, afterLabel }: { diff: DiffLine[]; beforeLabel: string; afterLabel: string }) {
  const changed = diff.some((d) => d.kind !== "same");
  return (
    <div className="st-diff" data-testid="diff">
      <p className="st-muted">
        <span className="st-diff__legend st-diff__legend--removed">− only in {beforeLabel}</span>{" "}
        <span className="st-diff__legend st-diff__legend--added">+ only in {afterLabel}</span>
      </p>
      {changed ? (
        <pre>
          {diff.map((d, i) => (
            <div key={i} className={`st-diff__line st-diff__line--${d.kind}`}>
              <span aria-hidden="true">{d.kind === "added" ? "+ " : d.kind === "removed" ? "− " : "  "}</span>
              {d.kind === "added" ? <ins>{d.text || " "}</ins> : d.kind === "removed" ? <del>{d.text || " "}</del> : d.text || " "}
            </div>
          ))}
        </pre>
      ) : (
        <p>No differences.</p>
      )}
    </div>
  );
}
