// What a route's `handle` says about the document (contract #16): one rule for root.tsx, which
// leaves out <Scripts/>, and the document renderer (app/reader/document.server.tsx), which then
// renders to one string instead of streaming.

/** Whether a page ships no JavaScript: one of its matched routes says `handle.scripts === false` (every reader page). */
export function shipsNoScripts(handles: readonly unknown[]): boolean {
  return handles.some((h) => (h as { scripts?: boolean } | null | undefined)?.scripts === false);
}
