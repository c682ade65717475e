// Over 400 lines: every studio loader and action, with personas made through real sign-ups, against one backend.
// The studio's Remix loaders and actions, called directly with Request objects (cookies from a
// real sign-up through the auth routes) against a local backend running convex/: creating a
// publication (validation, reserved and taken addresses), the posts list (status, author, tag,
// category and search filters, cursor pages, contributors' own posts), members (invitations and role rules surfacing as form errors),
// settings validation, and the 404s strangers get.
import { ConvexHttpClient } from "convex/browser";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { ERROR_CODES } from "../../convex/shared/errors";
import type { LocalBackend } from "../../local-backend/src/backend";
import { startDnsFake, type DnsFake } from "../support/dns-fake";
import { startAuthBackend } from "../support/auth";
import { adminClient, keepProcessEnv, runOn, stopAppBackend } from "../support/live-backend";
import { action, appUser, cookieHeader, get, loader, ORIGIN, post, type AppUser, type Jar, type Outcome } from "../support/remix-app";
import { RECORD_VIEWS } from "../../app/reader/views.server";
import * as studioHome from "../../app/routes/studio._index";
import * as siteLayout from "../../app/routes/studio.$siteId";
import * as postsList from "../../app/routes/studio.$siteId._index";
import * as newPost from "../../app/routes/studio.$siteId.posts.new";
import * as editPost from "../../app/routes/studio.$siteId.posts.$postId";
import * as members from "../../app/routes/studio.$siteId.members";
import * as settings from "../../app/routes/studio.$siteId.settings";
import * as tags from "../../app/routes/studio.$siteId.tags";
import * as categories from "../../app/routes/studio.$siteId.categories";
import { FIELDS } from "../../convex/shared/fields";
import * as plans from "../../app/routes/studio.$siteId.plans";
import * as preview from "../../app/routes/studio.$siteId.preview";
import * as acceptInvite from "../../app/routes/studio.invites.$token";

let backend: LocalBackend;
let admin: ConvexHttpClient;
let restoreEnv: () => void;

beforeAll(async () => {
  ({ backend } = await startAuthBackend("studio-loaders-", ORIGIN));
  restoreEnv = keepProcessEnv("CONVEX_URL", "AUTH_MIN_RESPONSE_MS");
  process.env.CONVEX_URL = backend.url;
  process.env.AUTH_MIN_RESPONSE_MS = "0";
  admin = adminClient(backend);
});

afterAll(async () => {
  restoreEnv?.();
  await stopAppBackend(backend);
});

type User = AppUser;

/** A new user signed up through the real routes (sign-up, code from the outbox, verify). */
const newUser = (tag: string, name: string): Promise<User> => appUser(backend, tag, name);

let slugCounter = 0;
const freshSlug = (tag: string) => `${tag}-${Date.now().toString(36)}-${slugCounter++}`;

/** Creates a publication through the studio's own action; returns its id. */
async function createSite(owner: User, name = "The Daily Paper"): Promise<Id<"sites">> {
  const created = await action(studioHome, post("/studio", { name, slug: freshSlug("daily"), description: "News" }, owner.jar));
  expect(created.status).toBe(302);
  const siteId = /^\/studio\/([^/]+)$/.exec(created.location ?? "")?.[1];
  expect(siteId).toBeTruthy();
  return siteId as Id<"sites">;
}

/** Makes `user` a member of the site with `role` (invited by the owner, accepted by the user). */
async function addMember(owner: User, siteId: Id<"sites">, user: User, role: "admin" | "editor" | "author" | "contributor") {
  const { token } = await owner.convex.mutation(api.members.invite, { siteId, email: user.email, role });
  await user.convex.mutation(api.members.accept, { token });
}

// ---------------------------------------------------------------------------------------------

let owner: User;
let other: User;

beforeAll(async () => {
  owner = await newUser("owner", "Olivia Owner");
  other = await newUser("other", "Oscar Outsider");
});

describe("create a publication", () => {
  test("signed out: the studio sends you to sign in, and comes back", async () => {
    const r = await loader(studioHome, get("/studio"));
    expect(r.status).toBe(302);
    expect(r.location).toBe("/login?redirectTo=%2Fstudio");
  });

  test("creates it, redirects to its studio, and lists it under 'your publications'", async () => {
    const slug = freshSlug("gazette");
    const created = await action(studioHome, post("/studio", { name: "  The Gazette ", slug, description: "" }, owner.jar));
    expect(created.status).toBe(302);
    const siteId = created.location!.split("/").pop()!;
    const home = await loader(studioHome, get("/studio", owner.jar));
    expect(home.status).toBe(200);
    expect(home.headers.get("Cache-Control")).toBe("private, no-store");
    expect(home.data.sites).toContainEqual({ _id: siteId, name: "The Gazette", slug, role: "owner" });
    const layout = await loader(siteLayout, get(`/studio/${siteId}`, owner.jar), { siteId });
    expect(layout.data.site).toMatchObject({ _id: siteId, name: "The Gazette", slug, role: "owner" });
  });

  test("validation errors come back per field, with the values kept", async () => {
    const empty = await action(studioHome, post("/studio", { name: "", slug: "Not A Slug!" }, owner.jar));
    expect(empty.status).toBe(400);
    expect(empty.data.errors.fields).toEqual({ name: "Give the publication a name.", slug: ERROR_CODES.INVALID_SLUG });
    expect(empty.data.values.slug).toBe("not a slug!");

    const reserved = await action(studioHome, post("/studio", { name: "Studio", slug: "studio" }, owner.jar));
    expect(reserved.status).toBe(400);
    expect(reserved.data.errors.fields.slug).toBe(ERROR_CODES.RESERVED_SLUG);

    // Taken: the live check says so, and so does the action (Convex decides).
    const slug = freshSlug("taken");
    expect((await action(studioHome, post("/studio", { name: "First", slug }, owner.jar))).status).toBe(302);
    expect(await other.convex.query(api.sites.isSlugAvailable, { slug })).toEqual({ available: false, reason: "SLUG_TAKEN" });
    const taken = await action(studioHome, post("/studio", { name: "Second", slug }, other.jar));
    expect(taken.status).toBe(400);
    expect(taken.data.errors.fields.slug).toBe(ERROR_CODES.SLUG_TAKEN);
  });

  test("a cross-site form post is refused before anything happens", async () => {
    const r = await action(studioHome, post("/studio", { name: "Evil", slug: freshSlug("evil") }, owner.jar, { Origin: "https://evil.example" }));
    expect(r.status).toBe(403);
  });
});

describe("posts list", () => {
  let siteId: Id<"sites">;
  beforeAll(async () => {
    siteId = await createSite(owner);
  });

  test("a new post is a draft in the list; status filters and cursor pages work", async () => {
    const created = await action(newPost, post(`/studio/${siteId}/posts/new`, {}, owner.jar), { siteId });
    expect(created.status).toBe(302);
    const postId = created.location!.split("/").pop()! as Id<"posts">;
    expect(created.location).toBe(`/studio/${siteId}/posts/${postId}`);

    // The editor's loader: the post, its draft and the side panel's lists.
    const editor = await loader(editPost, get(`/studio/${siteId}/posts/${postId}`, owner.jar), { siteId, postId });
    expect(editor.status).toBe(200);
    expect(editor.data.edit).toMatchObject({ post: { _id: postId, status: "draft" }, draft: { version: 1 }, canPublish: true });
    expect(editor.data.members).toEqual([expect.objectContaining({ name: "Olivia Owner" })]);

    // Publish one, keep the rest drafts: 22 posts in all.
    const v = await owner.convex.mutation(api.posts.saveDraft, { siteId, postId, expectedVersion: 1, title: "Hello world" });
    expect(v.version).toBe(2);
    await owner.convex.mutation(api.posts.publish, { siteId, postId });
    for (let i = 0; i < 21; i++) await owner.convex.mutation(api.posts.create, { siteId, title: `Draft ${i}` });

    const first = await loader(postsList, get(`/studio/${siteId}`, owner.jar), { siteId });
    expect(first.status).toBe(200);
    expect(first.data.result.page).toHaveLength(20);
    expect(first.data.result.isDone).toBe(false);
    // Newest change first.
    expect(first.data.result.page[0].title).toBe("Draft 20");
    const cursor = first.data.result.continueCursor;
    const second = await loader(postsList, get(`/studio/${siteId}?cursor=${encodeURIComponent(cursor)}`, owner.jar), { siteId });
    expect(second.data.result.page).toHaveLength(2);
    expect(second.data.result.isDone).toBe(true);
    const titles = [...first.data.result.page, ...second.data.result.page].map((p: any) => p.title);
    expect(new Set(titles).size).toBe(22);

    // Readers' views show in the list (from posts:viewCounts, for the rows shown).
    const site = await owner.convex.query(api.sites.getSettings, { siteId });
    const views = ["studio-view-token-000001", "studio-view-token-000002"].map((token) => ({ postId, token }));
    await admin.mutation(RECORD_VIEWS, { siteSlug: site.slug, views });
    const published = await loader(postsList, get(`/studio/${siteId}?status=published`, owner.jar), { siteId });
    expect(published.data.args.status).toBe("published");
    expect(published.data.result.page.map((p: any) => p.title)).toEqual(["Hello world"]);
    expect(published.data.views).toEqual([{ postId, views: 2 }]);
    const drafts = await loader(postsList, get(`/studio/${siteId}?status=draft`, owner.jar), { siteId });
    expect(drafts.data.result.page.every((p: any) => p.status === "draft")).toBe(true);
    // An unknown status is "all".
    const bogus = await loader(postsList, get(`/studio/${siteId}?status=nope`, owner.jar), { siteId });
    expect(bogus.data.args.status).toBeUndefined();
  });

  test("contributors see their own posts only, and other members' posts are 404 in the editor", async () => {
    const contributor = await newUser("contrib", "Cora Contributor");
    await addMember(owner, siteId, contributor, "contributor");
    const mine = await action(newPost, post(`/studio/${siteId}/posts/new`, {}, contributor.jar), { siteId });
    const myPostId = mine.location!.split("/").pop()!;
    const list = await loader(postsList, get(`/studio/${siteId}`, contributor.jar), { siteId });
    expect(list.data.result.page.map((p: any) => p._id)).toEqual([myPostId]);
    const editor = await loader(editPost, get(`/studio/${siteId}/posts/${myPostId}`, contributor.jar), { siteId, postId: myPostId });
    expect(editor.data.edit.canPublish).toBe(false);
    const ownersPost = (await owner.convex.query(api.posts.list, { siteId, status: "published", paginationOpts: { numItems: 1, cursor: null } })).page[0];
    const denied = await loader(editPost, get(`/studio/${siteId}/posts/${ownersPost._id}`, contributor.jar), { siteId, postId: ownersPost._id });
    expect(denied.status).toBe(404);
  });

  test("filters: author, tag, category and search words from the query string combine with status and cursor pages", async () => {
    const filtered = await createSite(owner, "Filter Times");
    const tagId = await owner.convex.mutation(api.tags.create, { siteId: filtered, name: "Rivers" });
    const categoryId = await owner.convex.mutation(api.categories.create, { siteId: filtered, name: "Science" });
    const make = async (title: string, text: string, set: { tag?: boolean; category?: boolean; publish?: boolean } = {}) => {
      const doc = JSON.stringify({ type: "doc", content: [{ type: "paragraph", content: [{ type: "text", text }] }] });
      const postId = await owner.convex.mutation(api.posts.create, { siteId: filtered, title, doc });
      if (set.tag) await owner.convex.mutation(api.posts.setTags, { siteId: filtered, postId, tagIds: [tagId] });
      if (set.category) await owner.convex.mutation(api.posts.setCategory, { siteId: filtered, postId, categoryId });
      if (set.publish) await owner.convex.mutation(api.posts.publish, { siteId: filtered, postId });
      return postId;
    };
    await make("Snowmelt season", "Every river rises.", { tag: true, category: true, publish: true });
    await make("Delta draft", "Silt and snowmelt.", { tag: true });
    for (let i = 0; i < 21; i++) await make(`Science note ${i}`, "Lab notes.", { category: true });
    const list = (query: string, jar = owner.jar) => loader(postsList, get(`/studio/${filtered}${query}`, jar), { siteId: filtered });
    const titles = (r: Outcome) => r.data.result.page.map((p: any) => p.title);

    // The select options come with the page.
    const all = await list("");
    expect(all.data.options.tags).toEqual([{ value: tagId, label: "Rivers" }]);
    expect(all.data.options.categories).toEqual([{ value: categoryId, label: "Science" }]);
    expect(all.data.options.authors).toEqual([expect.objectContaining({ label: "Olivia Owner" })]);
    const ownerId = all.data.options.authors[0].value;

    const byTag = await list(`?tag=${tagId}`);
    expect(byTag.data.args).toMatchObject({ tagId });
    expect(titles(byTag)).toEqual(["Snowmelt season", "Delta draft"]);
    expect(titles(await list(`?tag=${tagId}&status=draft`))).toEqual(["Delta draft"]);
    expect(titles(await list(`?tag=${tagId}&category=${categoryId}`))).toEqual(["Snowmelt season"]);
    expect(titles(await list(`?q=snowmelt`)).sort()).toEqual(["Delta draft", "Snowmelt season"]);
    expect(titles(await list(`?q=snowmelt&status=published&author=${ownerId}`))).toEqual(["Snowmelt season"]);
    // Words that are only punctuation: the plain list.
    expect((await list(`?q=${encodeURIComponent(" ?! ")}`)).data.result.page).toHaveLength(20);

    // A category with 22 posts: two pages, the cursor keeps the filter.
    const first = await list(`?category=${categoryId}`);
    expect(first.data.result.page).toHaveLength(20);
    expect(first.data.result.isDone).toBe(false);
    const second = await list(`?category=${categoryId}&cursor=${encodeURIComponent(first.data.result.continueCursor)}`);
    expect(second.data.result.isDone).toBe(true);
    const seen = [...titles(first), ...titles(second)];
    expect(new Set(seen).size).toBe(22);
    expect(seen).not.toContain("Delta draft");

    // Values that cannot be ids are ignored, like an unknown status.
    const junk = await list(`?tag=not-an-id!&author=%20&category=`);
    expect(junk.status).toBe(200);
    expect(junk.data.args.tagId).toBeUndefined();
    expect(junk.data.result.page).toHaveLength(20);

    // A contributor: their own posts only, whatever the filters ask for.
    const contributor = await newUser("filtering", "Finn Filter");
    await addMember(owner, filtered, contributor, "contributor");
    await contributor.convex.mutation(api.posts.create, { siteId: filtered, title: "Snowmelt pitch" });
    expect(titles(await list(`?q=snowmelt`, contributor.jar))).toEqual(["Snowmelt pitch"]);
    expect(titles(await list(`?author=${ownerId}`, contributor.jar))).toEqual([]);
    expect(titles(await list(`?tag=${tagId}`, contributor.jar))).toEqual([]);
  });

  test("strangers and malformed ids get 404, not an error page with details", async () => {
    expect((await loader(siteLayout, get(`/studio/${siteId}`, other.jar), { siteId })).status).toBe(404);
    expect((await loader(postsList, get(`/studio/${siteId}`, other.jar), { siteId })).status).toBe(404);
    expect((await loader(siteLayout, get(`/studio/not-an-id!`, owner.jar), { siteId: "not-an-id!" })).status).toBe(404);
    const postId = "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz";
    expect((await loader(editPost, get(`/studio/${siteId}/posts/${postId}`, owner.jar), { siteId, postId })).status).toBe(404);
  });

  test("preview renders the given document with the reader's renderer, for editors of the post only", async () => {
    const postId = (await owner.convex.mutation(api.posts.create, { siteId, title: "Preview me" })) as string;
    const doc = JSON.stringify({
      type: "doc",
      content: [
        { type: "heading", attrs: { level: 2 }, content: [{ type: "text", text: "Section" }] },
        { type: "paragraph", content: [{ type: "text", text: "bold", marks: [{ type: "bold" }] }, { type: "text", text: " <script>x</script>" }] },
      ],
    });
    const request = (jar: Jar) =>
      new Request(`${ORIGIN}/studio/${siteId}/preview`, {
        method: "POST",
        headers: { Origin: ORIGIN, "Content-Type": "application/json", ...cookieHeader(jar) },
        body: JSON.stringify({ postId, title: "Preview me", excerpt: "", doc }),
      });
    const ok = await action(preview, request(owner.jar), { siteId });
    expect(ok.status).toBe(200);
    expect(ok.data.html).toContain("<h2>Section</h2>");
    expect(ok.data.html).toContain("<strong>bold</strong>");
    expect(ok.data.html).not.toContain("<script>");
    expect(ok.data.card).toMatchObject({ title: "Preview me", excerpt: "Section. bold <script>x</script>.", authorName: "Olivia Owner" });
    expect((await action(preview, request(other.jar), { siteId })).status).toBe(404);
  });
});

describe("members", () => {
  let siteId: Id<"sites">;
  let adminUser: User;
  let authorUser: User;
  beforeAll(async () => {
    siteId = await createSite(owner, "Members Weekly");
    adminUser = await newUser("admin", "Ada Admin");
    authorUser = await newUser("author", "Arthur Author");
    await addMember(owner, siteId, adminUser, "admin");
    await addMember(owner, siteId, authorUser, "author");
  });

  test("the owner invites; the link works for the invited address only", async () => {
    const invitee = await newUser("invitee", "Ivy Invitee");
    const invited = await action(members, post(`/studio/${siteId}/members`, { intent: "invite", email: invitee.email.toUpperCase(), role: "editor" }, owner.jar), { siteId });
    expect(invited.status).toBe(200);
    expect(invited.data).toMatchObject({ intent: "invite", ok: true, notice: `Invitation for ${invitee.email.toUpperCase()} as Editor created.` });
    expect(invited.data.link).toMatch(new RegExp(`^${ORIGIN}/studio/invites/${siteId}\\.[0-9a-f]{64}$`));
    const page = await loader(members, get(`/studio/${siteId}/members`, owner.jar), { siteId });
    expect(page.data.invites).toEqual([expect.objectContaining({ email: invitee.email, role: "editor" })]);

    const token = decodeURIComponent(invited.data.link.split("/").pop());
    const wrongPerson = await action(acceptInvite, post(`/studio/invites/${token}`, {}, other.jar), { token });
    expect(wrongPerson.status).toBe(400);
    expect(wrongPerson.data.errors.form).toMatch(/invalid, has expired, or was sent to another/);
    const accepted = await action(acceptInvite, post(`/studio/invites/${token}`, {}, invitee.jar), { token });
    expect(accepted.status).toBe(302);
    expect(accepted.location).toBe(`/studio/${siteId}`);
    const list = await loader(members, get(`/studio/${siteId}/members`, invitee.jar), { siteId });
    expect(list.data.members).toContainEqual(expect.objectContaining({ name: "Ivy Invitee", role: "editor" }));
    // Not an admin: no invitations list (FORBIDDEN reads become null, not an error page).
    expect(list.data.invites).toBeNull();
  });

  test("issue #17: a placeholder author is listed as such; Invite to claim prefills the email and the accepted invitation takes their posts", async () => {
    const claimant = await newUser("claimant", "Clara Claimant");
    const { memberId, postId } = await runOn(backend, async (ctx) => {
      const now = Date.now();
      const userId = await ctx.db.insert("users", { name: "Clara (imported)", placeholder: true, createdAt: now, updatedAt: now });
      const memberId = await ctx.db.insert("siteMembers", { siteId, userId, role: "author", authorSlug: "clara-imported", placeholder: { email: claimant.email }, createdAt: now });
      const postId = await ctx.db.insert("posts", { siteId, authorId: userId, authorName: "Clara (imported)", title: "Imported", slug: "imported-by-clara", status: "draft", featured: false, tagIds: [], createdAt: now, updatedAt: now });
      return { memberId, postId };
    });
    const page = await loader(members, get(`/studio/${siteId}/members?claim=${memberId}`, owner.jar), { siteId });
    expect(page.data.members).toContainEqual(expect.objectContaining({ _id: memberId, name: "Clara (imported)", placeholder: true }));
    expect(page.data.claim).toEqual({ memberId, name: "Clara (imported)", email: claimant.email });
    // Authors see the placeholder but not the imported email.
    const asAuthor = await loader(members, get(`/studio/${siteId}/members?claim=${memberId}`, authorUser.jar), { siteId });
    expect(asAuthor.data.claim).toBeNull();
    expect(JSON.stringify(asAuthor.data)).not.toContain(claimant.email);

    const invited = await action(members, post(`/studio/${siteId}/members`, { intent: "invite", email: claimant.email, role: "author", claimMemberId: memberId }, owner.jar), { siteId });
    expect(invited.data).toMatchObject({ intent: "invite", ok: true });
    const token = decodeURIComponent(invited.data.link.split("/").pop());
    const accepted = await action(acceptInvite, post(`/studio/invites/${token}`, {}, claimant.jar), { token });
    expect(accepted.status).toBe(302);
    const after = await loader(members, get(`/studio/${siteId}/members`, owner.jar), { siteId });
    expect(after.data.members).toContainEqual(expect.objectContaining({ name: "Clara Claimant", authorSlug: "clara-imported", placeholder: false }));
    expect(after.data.members.some((m: any) => m.placeholder)).toBe(false);
    const moved = await runOn(backend, async (ctx) => (await ctx.db.get(postId)).authorName);
    expect(moved).toBe("Clara Claimant");
  });

  test("role rules surface as form errors", async () => {
    // Bad input: field errors before Convex is asked.
    const noEmail = await action(members, post(`/studio/${siteId}/members`, { intent: "invite", email: "", role: "author" }, owner.jar), { siteId });
    expect(noEmail.status).toBe(400);
    expect(noEmail.data.errors.fields.email).toBe("Enter an email address.");
    const badRole = await action(members, post(`/studio/${siteId}/members`, { intent: "invite", email: "x@example.com", role: "king" }, owner.jar), { siteId });
    expect(badRole.data.errors.fields.role).toBe("Choose a role.");
    // Convex's own field error (model/members.ts) lands on the field.
    const badEmail = await action(members, post(`/studio/${siteId}/members`, { intent: "invite", email: "not-an-email", role: "author" }, owner.jar), { siteId });
    expect(badEmail.status).toBe(400);
    expect(badEmail.data.errors.fields.email).toBe("Enter an email address.");
    const already = await action(members, post(`/studio/${siteId}/members`, { intent: "invite", email: authorUser.email, role: "author" }, owner.jar), { siteId });
    expect(already.data.errors.fields.email).toBe("They are already a member.");

    // An admin may not invite an owner, nor touch the owner's role; an author may not invite at all.
    const adminOwner = await action(members, post(`/studio/${siteId}/members`, { intent: "invite", email: "boss@example.com", role: "owner" }, adminUser.jar), { siteId });
    expect(adminOwner.status).toBe(403);
    expect(adminOwner.data.errors).toEqual({ form: ERROR_CODES.FORBIDDEN });
    const authorInvite = await action(members, post(`/studio/${siteId}/members`, { intent: "invite", email: "friend@example.com", role: "contributor" }, authorUser.jar), { siteId });
    expect(authorInvite.status).toBe(403);
    expect(authorInvite.data.errors.form).toBe(ERROR_CODES.FORBIDDEN);
    const ownerId = (await loader(members, get(`/studio/${siteId}/members`, owner.jar), { siteId })).data.members.find((m: any) => m.role === "owner").userId;
    const demote = await action(members, post(`/studio/${siteId}/members`, { intent: "changeRole", userId: ownerId, role: "author" }, adminUser.jar), { siteId });
    expect(demote.data.errors.form).toBe(ERROR_CODES.FORBIDDEN);

    // The last owner cannot leave or step down.
    const leave = await action(members, post(`/studio/${siteId}/members`, { intent: "leave" }, owner.jar), { siteId });
    expect(leave.status).toBe(400);
    expect(leave.data.errors.form).toBe(ERROR_CODES.LAST_OWNER);
    const stepDown = await action(members, post(`/studio/${siteId}/members`, { intent: "changeRole", userId: ownerId, role: "admin" }, owner.jar), { siteId });
    expect(stepDown.data.errors.form).toBe(ERROR_CODES.LAST_OWNER);

    // Allowed changes go through.
    const authorId = (await loader(members, get(`/studio/${siteId}/members`, owner.jar), { siteId })).data.members.find((m: any) => m.name === "Arthur Author").userId;
    const promote = await action(members, post(`/studio/${siteId}/members`, { intent: "changeRole", userId: authorId, role: "editor" }, adminUser.jar), { siteId });
    expect(promote.data).toMatchObject({ ok: true, notice: "Role changed." });
  });

  test("a member who leaves goes back to the studio home", async () => {
    const leaver = await newUser("leaver", "Lee Leaver");
    await addMember(owner, siteId, leaver, "contributor");
    const left = await action(members, post(`/studio/${siteId}/members`, { intent: "leave" }, leaver.jar), { siteId });
    expect(left.status).toBe(302);
    expect(left.location).toBe("/studio");
    expect((await loader(siteLayout, get(`/studio/${siteId}`, leaver.jar), { siteId })).status).toBe(404);
  });
});

describe("settings", () => {
  let siteId: Id<"sites">;
  let dns: DnsFake;
  beforeAll(async () => {
    siteId = await createSite(owner, "Settings Times");
    dns = await startDnsFake();
    backend.env.set("DNS_RESOLVER_URL", dns.url);
  });
  afterAll(async () => {
    await dns?.close();
  });

  test("validation errors per field; a valid change saves", async () => {
    const page = await loader(settings, get(`/studio/${siteId}/settings`, owner.jar), { siteId });
    expect(page.data.settings).toMatchObject({ name: "Settings Times", role: "owner" });

    const empty = await action(settings, post(`/studio/${siteId}/settings`, { name: " ", description: "", customDomain: "" }, owner.jar), { siteId });
    expect(empty.status).toBe(400);
    expect(empty.data.errors.fields).toEqual({ name: "Give the publication a name." });

    // Convex validates the domain: its field error comes back on the field.
    const domain = await action(settings, post(`/studio/${siteId}/settings`, { name: "Settings Times", customDomain: "not a domain" }, owner.jar), { siteId });
    expect(domain.status).toBe(400);
    expect(domain.data.errors.fields.customDomain).toBe("Enter a domain like news.example.com.");

    const saved = await action(
      settings,
      post(`/studio/${siteId}/settings`, { name: "The Settings Times", description: "All the settings", customDomain: "News.Example.com" }, owner.jar),
      { siteId },
    );
    expect(saved.status).toBe(200);
    expect(saved.data.notice).toBe("Settings saved.");
    const after = await owner.convex.query(api.sites.getSettings, { siteId });
    expect(after).toMatchObject({ name: "The Settings Times", description: "All the settings", customDomain: "news.example.com" });

    expect(after.customDomainStatus).toBe("pending");
  });

  test("domain takeover: a saved domain stays pending until Verify now finds its TXT record; another site's claim takes nothing", async () => {
    const page = await loader(settings, get(`/studio/${siteId}/settings`, owner.jar), { siteId });
    expect(page.data.settings).toMatchObject({ customDomain: "news.example.com", customDomainStatus: "pending" });
    const record = page.data.settings.customDomainRecord;
    expect(record.name).toBe("_pressroom-verify.news.example.com");
    const verify = () => action(settings, post(`/studio/${siteId}/settings`, { intent: "verify-domain" }, owner.jar), { siteId });

    const missing = await verify();
    expect(missing.status).toBe(400);
    expect(missing.data.errors.fields.customDomain).toMatch(/TXT record was not found at _pressroom-verify\.news\.example\.com/);
    dns.txt(record.name, record.value);
    const found = await verify();
    expect(found.status).toBe(200);
    expect(found.data.notice).toBe("Verified: news.example.com now serves this publication.");
    expect((await owner.convex.query(api.sites.getSettings, { siteId })).customDomainStatus).toBe("verified");

    // Another site may claim the same domain (a claim proves nothing), but it stays pending and the
    // domain keeps serving the site that proved it.
    const otherSite = await createSite(owner, "Copycat");
    const clash = await action(settings, post(`/studio/${otherSite}/settings`, { name: "Copycat", customDomain: "news.example.com" }, owner.jar), { siteId: otherSite });
    expect(clash.status).toBe(200);
    expect((await owner.convex.query(api.sites.getSettings, { siteId: otherSite })).customDomainStatus).toBe("pending");
    const copycatVerify = await action(settings, post(`/studio/${otherSite}/settings`, { intent: "verify-domain" }, owner.jar), { siteId: otherSite });
    expect(copycatVerify.status).toBe(400);
    expect((await new ConvexHttpClient(backend.url).query(api.sites.getPublic, { domain: "news.example.com" }))?._id).toBe(siteId);
  });

  test("the accent colour and logo are no longer Settings fields (they moved to Design: studio-design.test.ts)", async () => {
    const page = await loader(settings, get(`/studio/${siteId}/settings`, owner.jar), { siteId });
    const before = page.data.settings.branding;
    const r = await action(settings, post(`/studio/${siteId}/settings`, { name: "The Settings Times", accentColor: "#123456", intent: "logo" }, owner.jar), { siteId });
    expect(r.status).toBe(200);
    expect(r.data.notice).toBe("Settings saved.");
    expect((await owner.convex.query(api.sites.getSettings, { siteId })).branding).toEqual(before);
  });

  test("below admin, a settings change is refused as a form error", async () => {
    const editor = await newUser("editor", "Eddie Editor");
    await addMember(owner, siteId, editor, "editor");
    const r = await action(settings, post(`/studio/${siteId}/settings`, { name: "Mine now" }, editor.jar), { siteId });
    expect(r.status).toBe(400);
    expect(r.data.errors.form).toBe(ERROR_CODES.FORBIDDEN);
    expect((await owner.convex.query(api.sites.getSettings, { siteId })).name).not.toBe("Mine now");
  });
});

describe("tags and plans", () => {
  let siteId: Id<"sites">;
  beforeAll(async () => {
    siteId = await createSite(owner, "Taxonomy Today");
  });

  test("tags: create, duplicate address, rename", async () => {
    const created = await action(tags, post(`/studio/${siteId}/tags`, { intent: "create", name: "Climate" }, owner.jar), { siteId });
    expect(created.data).toMatchObject({ ok: true, notice: "Tag “Climate” created." });
    const dup = await action(tags, post(`/studio/${siteId}/tags`, { intent: "create", name: "Other", slug: "climate" }, owner.jar), { siteId });
    expect(dup.status).toBe(400);
    expect(dup.data.errors.fields.slug).toBe(ERROR_CODES.SLUG_TAKEN);
    const list = await loader(tags, get(`/studio/${siteId}/tags`, owner.jar), { siteId });
    const tag = list.data.result.page.find((t: any) => t.name === "Climate");
    const renamed = await action(tags, post(`/studio/${siteId}/tags`, { intent: "rename", tagId: tag._id, name: "Climate change" }, owner.jar), { siteId });
    expect(renamed.data.ok).toBe(true);
    expect((await loader(tags, get(`/studio/${siteId}/tags`, owner.jar), { siteId })).data.result.page.map((t: any) => t.name)).toEqual(["Climate change"]);
  });

  test("categories: create with a description, move, rename, delete; names over the shared rule fail on the field as Convex says", async () => {
    const path_ = `/studio/${siteId}/categories`;
    const make = (name: string, extra: Record<string, string> = {}) =>
      action(categories, post(path_, { intent: "create", name, ...extra }, owner.jar), { siteId });
    expect((await make("Science", { description: "Lab notes." })).data).toMatchObject({ ok: true, notice: "Category “Science” created." });
    expect((await make("Sport")).data.ok).toBe(true);
    // One rule for the length (shared/fields.ts): the action answers what Convex answers, before the round trip.
    const max = FIELDS.taxonomyName.max;
    expect((await make("x".repeat(max))).data.ok).toBe(true);
    const long = await make("y".repeat(max + 1));
    expect(long.status).toBe(400);
    expect(long.data.errors.fields.name).toBe(`1 to ${max} characters.`);
    const convexError = await owner.convex.mutation(api.categories.create, { siteId, name: "y".repeat(max + 1) }).catch((e) => e.data);
    expect(convexError).toMatchObject({ code: "INVALID_ARGUMENT", field: "name", message: long.data.errors.fields.name });
    const tooLongDescription = await make("Arts", { description: "d".repeat(FIELDS.taxonomyDescription.max + 1) });
    expect(tooLongDescription.status).toBe(400);
    expect(tooLongDescription.data.errors.fields.description).toBe(`At most ${FIELDS.taxonomyDescription.max} characters.`);

    const list = async () => (await loader(categories, get(path_, owner.jar), { siteId })).data.categories as any[];
    const before = await list();
    expect(before.map((c) => [c.name, c.description, c.postCount])).toEqual([
      ["Science", "Lab notes.", 0],
      ["Sport", null, 0],
      ["x".repeat(max), null, 0],
    ]);
    const order = before.map((c) => c._id);
    const moved = await action(categories, post(path_, { intent: "move", categoryId: order[1], direction: "up", order }, owner.jar), { siteId });
    expect(moved.data.ok).toBe(true);
    expect((await list()).map((c) => c.name)).toEqual(["Sport", "Science", "x".repeat(max)]);
    const renamed = await action(categories, post(path_, { intent: "rename", categoryId: order[0], name: "Natural science", description: "" }, owner.jar), { siteId });
    expect(renamed.data.ok).toBe(true);
    expect((await list()).find((c) => c._id === order[0])).toMatchObject({ name: "Natural science", slug: "natural-science", description: null });
    const deleted = await action(categories, post(path_, { intent: "delete", categoryId: order[2] }, owner.jar), { siteId });
    expect(deleted.data).toMatchObject({ ok: true, notice: "Category deleted." });
    expect((await list()).map((c) => c.name)).toEqual(["Sport", "Natural science"]);
  });

  test("plans: price parsing and Convex's field errors; stats for owners", async () => {
    const bad = await action(plans, post(`/studio/${siteId}/plans`, { intent: "create", name: "Monthly", price: "five", currency: "usd", interval: "month" }, owner.jar), { siteId });
    expect(bad.data.errors.fields.price).toBe("Enter a price like 5 or 4.99.");
    const cheap = await action(plans, post(`/studio/${siteId}/plans`, { intent: "create", name: "Monthly", price: "0.10", currency: "usd", interval: "month" }, owner.jar), { siteId });
    expect(cheap.status).toBe(400);
    expect(cheap.data.errors.fields.price).toMatch(/whole number of cents/);
    const ok = await action(
      plans,
      post(`/studio/${siteId}/plans`, { intent: "create", name: "Monthly", price: "5", currency: "USD", interval: "month", features: "All posts\nFeatured posts", isActive: "on" }, owner.jar),
      { siteId },
    );
    expect(ok.data.ok).toBe(true);
    const page = await loader(plans, get(`/studio/${siteId}/plans`, owner.jar), { siteId });
    expect(page.data.plans).toEqual([expect.objectContaining({ name: "Monthly", priceCents: 500, currency: "usd", features: ["All posts", "Featured posts"], isActive: true })]);
    expect(page.data.stats).toMatchObject({ subscriberCount: 0, payments: { page: [] } });
  });
});
