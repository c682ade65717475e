// What the post editor works on (posts:getForEdit, typed from the generated api) and the pure
// helpers its components share.
import type { FunctionReturnType } from "convex/server";
import type { api } from "../../../convex/_generated/api";
import type { Id } from "../../../convex/_generated/dataModel";
import { docToText, type DocNode } from "../../../convex/model/content";
import type { SiteRole } from "../../../convex/shared/roles";
import { toSlug } from "../../../convex/shared/slugs";
import { parseDocText } from "../../editor/doc";
import type { Newsletter } from "./email-panel";
import type { SendView } from "./send-progress";

export type EditData = FunctionReturnType<typeof api.posts.getForEdit>;
export type EditPost = EditData["post"];
export type TagOption = { _id: string; name: string; slug: string };
export type CategoryOption = { _id: string; name: string };

export type PostEditorProps = {
  siteId: Id<"sites">;
  postId: Id<"posts">;
  site: { slug: string; role: SiteRole };
  viewerId: string;
  initial: EditData;
  initialTags: TagOption[];
  initialCategories: CategoryOption[];
  members: Array<{ userId: string; name: string }>;
  /** The email panel's first frame (newsletters and this post's sends); null when the viewer may not send. */
  email?: { newsletters: Newsletter[]; sends: SendView[] } | null;
};

export class NotSavedError extends Error {}

/**
 * "Keep both": their document, then a rule and the blocks of mine that theirs doesn't have (the
 * paragraphs both versions share appear once). Nothing either side wrote is dropped.
 */
export function concatDocs(theirs: string, mine: string): string {
  const a = parseDocText(theirs)?.content ?? [];
  const b = parseDocText(mine)?.content ?? [];
  const have = new Set(a.map((block) => JSON.stringify(block)));
  const extra = b.filter((block) => !have.has(JSON.stringify(block)) && JSON.stringify(block) !== '{"type":"paragraph"}');
  return JSON.stringify({ type: "doc", content: extra.length ? [...a, { type: "horizontalRule" }, ...extra] : a });
}

export function plainText(doc: string): string {
  try {
    return docToText(JSON.parse(doc) as DocNode);
  } catch {
    return "";
  }
}

export function fileName(title: string, slug: string): string {
  return `${slug || toSlug(title) || "post"}.md`;
}
