import { PassThrough } from "node:stream";
import { createReadableStreamFromReadable, type EntryContext } from "@remix-run/node";
import { RemixServer } from "@remix-run/react";
import { isbot } from "isbot";
import { renderToPipeableStream, renderToString } from "react-dom/server";
import { shipsNoScripts } from "../utils/route-handle";
import { withWholeBody } from "../utils/whole-body.server";
import { memoizedCard } from "./card-memo.server";
import { CardMemo } from "./cards";

// Remix's document rendering (the default Node entry.server), wired by app/entry.server.tsx.
// Rendered pages are not cached here: public reader responses are stored whole, in front of
// Remix, for as long as the query results they were built from (front.server.ts, ADR 008).

const ABORT_DELAY = 5_000;

export function handleDocumentRequest(request: Request, status: number, headers: Headers, remixContext: EntryContext): Promise<Response> {
  // Pages that ship no JavaScript (every reader page) suspend on nothing either, so nothing is
  // gained by streaming them; they are rendered to one string. React's streaming renderer encoded
  // each chunk into bytes and piped them through three stream adaptors, ~25% of an uncached post
  // page's render in `npm run profile` (ADR 016, eleventh round).
  const handles = remixContext.staticHandlerContext.matches.map((m) => remixContext.routeModules[m.route.id]?.handle);
  if (shipsNoScripts(handles)) {
    // A render error throws here, as it rejects below: Remix then renders the error boundary.
    // Post cards are rendered once per distinct card and reused (card-memo.server.tsx).
    const html = renderToString(
      <CardMemo.Provider value={memoizedCard}>
        <RemixServer context={remixContext} url={request.url} />
      </CardMemo.Provider>,
    );
    headers.set("Content-Type", "text/html");
    // The streaming renderer writes the doctype itself; renderToString does not.
    const page = `<!DOCTYPE html>${html}`;
    return Promise.resolve(withWholeBody(new Response(page, { headers, status }), page));
  }
  // Bots and SPA mode wait for the whole page; browsers get the shell as soon as it is ready.
  const allReady = isbot(request.headers.get("user-agent") ?? "") || remixContext.isSpaMode;
  return new Promise((resolve, reject) => {
    let shellRendered = false;
    const { pipe, abort } = renderToPipeableStream(<RemixServer context={remixContext} url={request.url} abortDelay={ABORT_DELAY} />, {
      [allReady ? "onAllReady" : "onShellReady"]() {
        shellRendered = true;
        const body = new PassThrough();
        headers.set("Content-Type", "text/html");
        resolve(new Response(createReadableStreamFromReadable(body), { headers, status }));
        pipe(body);
      },
      onShellError(error: unknown) {
        reject(error);
      },
      onError(error: unknown) {
        status = 500;
        // Errors inside the shell reject and are logged by Remix; later ones only here.
        if (shellRendered) console.error(error);
      },
    });
    setTimeout(abort, ABORT_DELAY).unref();
  });
}
