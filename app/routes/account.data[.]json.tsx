import type { LoaderFunctionArgs } from "@remix-run/node";
import { api } from "../../convex/_generated/api";
import type { DataItem, DataRange, PersonalSummary } from "../../convex/model/personalData";
import { requireUser } from "../auth/session.server";

// /account/data.json: "Download your data" (issue #17). Everything Pressroom holds about the
// signed-in user as one JSON file, streamed: the summary first, then each long list
// (account:personalDataPage) page by page, so a user with thousands of posts never has them all in
// memory and every Convex read stays within its limits. No user in the URL: the session decides.

/** Items per Convex read: posts carry their documents, so they come in smaller pages. */
export const PAGE_SIZES: Record<DataRange["part"], number> = {
  posts: 25,
  notifications: 200,
  emails: 200,
  auditByActor: 200,
  auditAbout: 200,
  deliveries: 200,
};

/** The key of the JSON file each range's items go under (the summary lists ranges grouped by key). */
const SECTION: Record<DataRange["part"], string> = {
  posts: "posts",
  notifications: "notifications",
  emails: "emails",
  auditByActor: "auditEntries",
  auditAbout: "auditEntries",
  deliveries: "emailDeliveries",
};

/** An item as written: without the union tag; a post's document as JSON, not as a string in JSON. */
function itemJson(item: DataItem): string {
  const { kind: _kind, ...rest } = item;
  if (item.kind === "post" && item.doc !== null) {
    let doc: unknown = item.doc;
    try {
      doc = JSON.parse(item.doc);
    } catch {
      // A document that is not JSON is kept as the text it is.
    }
    return JSON.stringify({ ...rest, doc });
  }
  return JSON.stringify(rest);
}

export async function loader({ request }: LoaderFunctionArgs) {
  const { convex, headers } = await requireUser(request);
  const started = Date.now();
  // Read before answering, so a failure is an error page rather than a broken download.
  const summary: PersonalSummary = await convex.query(api.account.personalData, {});
  const { ranges, ...parts } = summary;
  const head = {
    format: "pressroom-personal-data",
    version: 1,
    exportedAt: new Date(started).toISOString(),
    ...parts,
    // Pressroom has no comments; the key is here so the file says so rather than leaving it out.
    comments: [],
  };
  const encoder = new TextEncoder();
  let rangeIndex = 0;
  let cursor: string | null = null;
  let section: string | null = null;
  let first = true;
  let items = 0;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      // The summary's object without its closing brace: the long lists follow as more keys.
      controller.enqueue(encoder.encode(JSON.stringify(head, null, 1).replace(/\n}$/, "")));
    },
    async pull(controller) {
      const range = ranges[rangeIndex];
      if (!range) {
        controller.enqueue(encoder.encode(`${section ? "\n ]" : ""}\n}\n`));
        controller.close();
        console.log(`/account/data.json: ${items} items in ${Date.now() - started} ms`);
        return;
      }
      let out = "";
      const key = SECTION[range.part];
      if (key !== section) {
        out += `${section ? "\n ]" : ""},\n ${JSON.stringify(key)}: [`;
        section = key;
        first = true;
      }
      const page: { page: DataItem[]; isDone: boolean; continueCursor: string } = await convex.query(api.account.personalDataPage, {
        range,
        paginationOpts: { numItems: PAGE_SIZES[range.part], cursor },
      });
      for (const item of page.page) {
        out += `${first ? "" : ","}\n  ${itemJson(item)}`;
        first = false;
        items++;
      }
      if (page.isDone) {
        rangeIndex++;
        cursor = null;
      } else {
        cursor = page.continueCursor;
      }
      controller.enqueue(encoder.encode(out));
    },
  });
  headers.set("Cache-Control", "private, no-store");
  headers.set("Content-Type", "application/json; charset=utf-8");
  headers.set("Content-Disposition", `attachment; filename="pressroom-data-${new Date(started).toISOString().slice(0, 10)}.json"`);
  headers.set("X-Content-Type-Options", "nosniff");
  return new Response(body, { status: 200, headers });
}
