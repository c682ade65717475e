import { data, type LoaderFunctionArgs } from "@remix-run/node";
import { useLoaderData, useSearchParams } from "@remix-run/react";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { EmptyState, Pager } from "../studio/components";
import { Time } from "../studio/format";
import { useLive } from "../studio/live";
import { loadIfAllowed, privateHeaders, requireStudio } from "../studio/studio.server";

// /studio/:siteId/audit: who changed what, newest first (audit:list, owners and admins), with
// cursor pages. Each entry's diff is `{field: [before, after]}`; bodies and secrets never get in.

const PAGE_SIZE = 50;

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { convex, headers, siteId } = await requireStudio(request, params);
  const cursor = new URL(request.url).searchParams.get("cursor") || null;
  const args = { siteId, paginationOpts: { numItems: PAGE_SIZE, cursor } };
  const result = await loadIfAllowed(convex.query(api.audit.list, args));
  return data({ args, result }, { headers: privateHeaders(headers) });
}

function diffRows(diff: string): Array<[string, unknown, unknown]> {
  try {
    const parsed = JSON.parse(diff) as Record<string, [unknown, unknown]>;
    return Object.entries(parsed).map(([k, v]) => [k, Array.isArray(v) ? v[0] : undefined, Array.isArray(v) ? v[1] : v]);
  } catch {
    return [];
  }
}

function show(value: unknown): string {
  if (value === undefined || value === null) return "—";
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

export default function Audit() {
  const { args, result: initial } = useLoaderData<typeof loader>();
  const [searchParams] = useSearchParams();
  const { data: result } = useLive(api.audit.list, initial ? { ...args, siteId: args.siteId as Id<"sites"> } : "skip", initial);
  if (!result) {
    return (
      <main id="main" className="st-page">
        <h1>Audit log</h1>
        <p>Only owners and admins see the audit log.</p>
      </main>
    );
  }
  return (
    <main id="main" className="st-page">
      <header className="st-page__header">
        <h1>Audit log</h1>
      </header>
      {result.page.length === 0 ? (
        <EmptyState>Nothing recorded yet.</EmptyState>
      ) : (
        <table className="st-table" data-testid="audit-table">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">What</th>
              <th scope="col">Changes</th>
            </tr>
          </thead>
          <tbody>
            {result.page.map((e) => (
              <tr key={e._id} data-testid="audit-row">
                <td>
                  <Time ms={e.createdAt} />
                </td>
                <td>{e.actorName ?? (e.actorId ? "Deleted user" : "System")}</td>
                <td>
                  <code>{e.action}</code>
                  <div className="st-muted">
                    {e.entityType} {e.entityId}
                  </div>
                </td>
                <td>
                  <ul className="st-diff-list">
                    {diffRows(e.diff).map(([k, before, after]) => (
                      <li key={k}>
                        <strong>{k}</strong>: {show(before)} → {show(after)}
                      </li>
                    ))}
                  </ul>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager base={`/studio/${args.siteId}/audit`} params={searchParams} cursor={args.paginationOpts.cursor} nextCursor={result.isDone ? null : result.continueCursor} />
    </main>
  );
}
