// A publication with a post of every kind, for the export and round-trip tests (issue #17):
// published with a stored image, tags, a category, a cover upload and rich content (links, lists,
// code, quotes); a draft; a scheduled post; a featured (paid) post with a cover URL.
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import type { LocalBackend } from "../../local-backend/src/backend";
import { runOn } from "./live-backend";
import type { AppUser } from "./remix-app";

/** A 1×1 PNG. */
export const PNG = Uint8Array.from(Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64"));

const t = (text: string, marks?: object[]) => (marks ? { type: "text", text, marks } : { type: "text", text });
const p = (...content: object[]) => ({ type: "paragraph", content });
const link = (href: string) => ({ type: "link", attrs: { href, target: null, rel: null, class: null, title: null } });

export function richDoc(imageUrl: string): string {
  return JSON.stringify({
    type: "doc",
    content: [
      p(t("Rivers carry "), t("silt", [{ type: "bold" }]), t(" and "), t("stories", [{ type: "italic" }]), t(". See "), t("the map", [link("https://maps.example.com/river?x=1&y=2")]), t(".")),
      { type: "heading", attrs: { level: 2 }, content: [t("Along the bank")] },
      { type: "bulletList", content: [{ type: "listItem", content: [p(t("willows"))] }, { type: "listItem", content: [p(t("herons"))] }] },
      { type: "orderedList", attrs: { start: 3 }, content: [{ type: "listItem", content: [p(t("third"))] }, { type: "listItem", content: [p(t("fourth"))] }] },
      { type: "blockquote", content: [p(t("The river is everywhere at once."))] },
      { type: "codeBlock", attrs: { language: "ts" }, content: [t("const flow = (x: number) => x * 2;")] },
      { type: "image", attrs: { src: imageUrl, alt: "A stored heron", title: null } },
      { type: "image", attrs: { src: "https://images.example.com/bank.jpg", alt: "A linked bank", title: null } },
      { type: "horizontalRule" },
      p(t("Inline "), t("code", [{ type: "code" }]), t(" and "), t("strike", [{ type: "strike" }]), t(".")),
    ],
  });
}

export interface SeededSite {
  storageId: Id<"_storage">;
  imageUrl: string;
  slugs: { published: string; draft: string; scheduled: string; featured: string };
}

async function upload(owner: AppUser, siteId: Id<"sites">): Promise<Id<"_storage">> {
  const url = await owner.convex.mutation(api.sites.generateUploadUrl, { siteId });
  const res = await fetch(url, { method: "POST", headers: { "Content-Type": "image/png" }, body: PNG });
  return ((await res.json()) as { storageId: Id<"_storage"> }).storageId;
}

async function draft(owner: AppUser, siteId: Id<"sites">, title: string, doc: string, excerpt?: string) {
  const postId = await owner.convex.mutation(api.posts.create, { siteId, title, doc });
  if (excerpt) {
    const { version } = await owner.convex.query(api.posts.getForEdit, { siteId, postId }).then((r) => r.draft);
    await owner.convex.mutation(api.posts.saveDraft, { siteId, postId, expectedVersion: version, excerpt });
  }
  return postId;
}

/** Seeds the publication `siteId` (owned by `owner`) with one post of every kind. */
export async function seedEveryKind(backend: LocalBackend, owner: AppUser, siteId: Id<"sites">): Promise<SeededSite> {
  const c = owner.convex;
  const storageId = await upload(owner, siteId);
  const imageUrl = (await c.query(api.sites.getImageUrl, { siteId, storageId }))!;
  const categoryId = await c.mutation(api.categories.create, { siteId, name: "Field Essays" });
  const rivers = await c.mutation(api.tags.create, { siteId, name: "Rivers" });
  const maps = await c.mutation(api.tags.create, { siteId, name: "Old Maps" });

  const published = await draft(owner, siteId, "Rivers of the north", richDoc(imageUrl), "A walk along three rivers.");
  await c.mutation(api.posts.setTags, { siteId, postId: published, tagIds: [rivers, maps] });
  await c.mutation(api.posts.setCategory, { siteId, postId: published, categoryId });
  await c.mutation(api.posts.setCoverImage, { siteId, postId: published, storageId, alt: "Heron", caption: "At dawn" });
  await c.mutation(api.posts.publish, { siteId, postId: published });

  const drafted = await draft(owner, siteId, "Notes not ready", JSON.stringify({ type: "doc", content: [p(t("Half a thought."))] }));
  const scheduled = await draft(owner, siteId, "Coming next week", JSON.stringify({ type: "doc", content: [p(t("Soon."))] }));
  await c.mutation(api.posts.schedule, { siteId, postId: scheduled, scheduledAt: Date.now() + 7 * 86_400_000 });

  const featured = await draft(owner, siteId, "Members' dispatch", JSON.stringify({ type: "doc", content: [p(t("For "), t("paying", [{ type: "bold" }]), t(" readers."))] }));
  await c.mutation(api.posts.setTags, { siteId, postId: featured, tagIds: [rivers] });
  await c.mutation(api.posts.publish, { siteId, postId: featured });
  // Featured needs an active plan through the studio; the export only reads the flag and the URL cover.
  await runOn(backend, async (ctx) => ctx.db.patch("posts", featured, { featured: true, coverImageUrl: "https://images.example.com/dispatch.jpg" }));

  const slugs = await runOn(backend, async (ctx) => {
    const slug = async (id: string) => (await ctx.db.get("posts", id)).slug as string;
    return { published: await slug(published), draft: await slug(drafted), scheduled: await slug(scheduled), featured: await slug(featured) };
  });
  return { storageId, imageUrl, slugs };
}
