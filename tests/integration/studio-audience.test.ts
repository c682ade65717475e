// The studio's audience and newsletter screens (issue #15, ADR 012): the Remix loaders and actions
// of /studio/:siteId/audience, /audience/:memberId and /newsletters called with Request objects
// (cookies from real sign-ups) against a local backend running convex/. Lists with filters, search
// and cursor pages, manual add with field errors, comp, newsletter create/edit/archive, and the
// attacks: roles below editor, other tenants, forged cursors, cross-site form posts.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import type { LocalBackend } from "../../local-backend/src/backend";
import { startAuthBackend } from "../support/auth";
import { keepProcessEnv, stopAppBackend } from "../support/live-backend";
import { action, appUser, get, loader, ORIGIN, post, type AppUser } from "../support/remix-app";
import * as studioHome from "../../app/routes/studio._index";
import * as audienceList from "../../app/routes/studio.$siteId.audience._index";
import * as audienceMember from "../../app/routes/studio.$siteId.audience.$memberId";
import * as newsletters from "../../app/routes/studio.$siteId.newsletters";
import * as editPost from "../../app/routes/studio.$siteId.posts.$postId";

let backend: LocalBackend;
let restoreEnv: () => void;
let owner: AppUser;
let editor: AppUser;
let author: AppUser;
let contributor: AppUser;
let stranger: AppUser;
let siteId: Id<"sites">;
let otherSiteId: Id<"sites">;

let slugCounter = 0;
const freshSlug = (tag: string) => `${tag}-${Date.now().toString(36)}-${slugCounter++}`;

async function createSite(user: AppUser, name: string): Promise<Id<"sites">> {
  const created = await action(studioHome, post("/studio", { name, slug: freshSlug("aud"), description: "" }, user.jar));
  expect(created.status).toBe(302);
  return created.location!.split("/").pop()! as Id<"sites">;
}

async function join(user: AppUser, role: "editor" | "author" | "contributor") {
  const { token } = await owner.convex.mutation(api.members.invite, { siteId, email: user.email, role });
  await user.convex.mutation(api.members.accept, { token });
}

const list = (query = "", user = editor) => loader(audienceList, get(`/studio/${siteId}/audience${query}`, user.jar), { siteId });
const addMember = (fields: Record<string, string>, user = editor) =>
  action(audienceList, post(`/studio/${siteId}/audience`, { intent: "add", ...fields }, user.jar), { siteId });
const emails = (r: { data: any }) => r.data.result.page.map((m: any) => m.email);

beforeAll(async () => {
  ({ backend } = await startAuthBackend("studio-audience-", ORIGIN));
  restoreEnv = keepProcessEnv("CONVEX_URL", "AUTH_MIN_RESPONSE_MS");
  process.env.CONVEX_URL = backend.url;
  process.env.AUTH_MIN_RESPONSE_MS = "0";
  [owner, editor, author, contributor, stranger] = await Promise.all([
    appUser(backend, "aud-owner", "Olive Owner"),
    appUser(backend, "aud-editor", "Edda Editor"),
    appUser(backend, "aud-author", "Abe Author"),
    appUser(backend, "aud-contrib", "Cleo Contributor"),
    appUser(backend, "aud-stranger", "Sam Stranger"),
  ]);
  siteId = await createSite(owner, "Audience Weekly");
  otherSiteId = await createSite(stranger, "Other Gazette");
  await join(editor, "editor");
  await join(author, "author");
  await join(contributor, "contributor");
});

afterAll(async () => {
  restoreEnv?.();
  await stopAppBackend(backend);
});

describe("manual add", () => {
  test("an editor adds a member, and a comped one; the list shows them newest first", async () => {
    const added = await addMember({ email: "  Reader.One@Example.com ", name: "Rita Reader" });
    expect(added.status).toBe(200);
    expect(added.data).toMatchObject({ intent: "add", ok: true, notice: "reader.one@example.com added." });
    const comped = await addMember({ email: "guest@example.com", name: "", comp: "on" });
    expect(comped.data).toMatchObject({ ok: true, notice: "guest@example.com added with complimentary access." });
    const page = await list();
    expect(page.status).toBe(200);
    expect(page.headers.get("Cache-Control")).toBe("private, no-store");
    expect(page.data.result.page.slice(0, 2)).toEqual([
      expect.objectContaining({ email: "guest@example.com", name: null, access: "comped", emailState: "subscribed", source: "manual" }),
      expect.objectContaining({ email: "reader.one@example.com", name: "Rita Reader", access: "free", source: "manual" }),
    ]);
  });

  test("bad input comes back as field errors from the field rules, and nothing is added", async () => {
    const before = emails(await list());
    const bad = await addMember({ email: "not-an-email", name: "X" });
    expect(bad.status).toBe(400);
    expect(bad.data.errors.fields).toEqual({ email: "Enter a valid email address." });
    const empty = await addMember({ email: "" });
    expect(empty.data.errors.fields.email).toBe("Enter a valid email address.");
    const longName = await addMember({ email: "long@example.com", name: "n".repeat(101) });
    expect(longName.status).toBe(400);
    expect(Object.keys(longName.data.errors.fields)).toEqual(["name"]);
    // Convex's own rule: an address that is already a member is a field error too.
    const dup = await addMember({ email: "READER.ONE@example.com" });
    expect(dup.status).toBe(400);
    expect(dup.data.errors.fields).toEqual({ email: "They are already a member." });
    expect(emails(await list())).toEqual(before);
  });

  test("cross-site form post: an add from another origin is refused before anything happens", async () => {
    const r = await action(
      audienceList,
      post(`/studio/${siteId}/audience`, { intent: "add", email: "csrf@example.com" }, editor.jar, { Origin: "https://evil.example" }),
      { siteId },
    );
    expect(r.status).toBe(403);
    expect(emails(await list("?q=csrf"))).toEqual([]);
  });
});

describe("list", () => {
  beforeAll(async () => {
    // 55 more members: two pages of 50.
    for (let i = 0; i < 55; i++) await editor.convex.mutation(api.audience.add, { siteId, email: `bulk${String(i).padStart(2, "0")}@example.com` });
  });

  test("filters pick members by access and email state; unknown filters are 'all'", async () => {
    const comped = await list("?filter=comped");
    expect(comped.data.args.filter).toBe("comped");
    expect(emails(comped)).toEqual(["guest@example.com"]);
    const free = await list("?filter=free");
    expect(emails(free)).not.toContain("guest@example.com");
    expect(free.data.result.page.every((m: any) => m.access === "free")).toBe(true);
    expect(emails(await list("?filter=unsubscribed"))).toEqual([]);
    expect(emails(await list("?filter=paid"))).toEqual([]);
    expect((await list("?filter=everyone")).data.args.filter).toBe("all");
  });

  test("search is an email or name prefix, and keeps the filter", async () => {
    expect(emails(await list("?q=reader.o"))).toEqual(["reader.one@example.com"]);
    expect(emails(await list("?q=RITA"))).toEqual(["reader.one@example.com"]);
    expect(emails(await list("?q=bulk0")).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `bulk0${i}@example.com`));
    expect(emails(await list("?q=guest&filter=free"))).toEqual([]);
    expect(emails(await list("?q=guest&filter=comped"))).toEqual(["guest@example.com"]);
  });

  test("pages of 50 through ?cursor= links cover everyone once", async () => {
    const first = await list();
    expect(first.data.result.page).toHaveLength(50);
    expect(first.data.result.isDone).toBe(false);
    const second = await list(`?cursor=${encodeURIComponent(first.data.result.continueCursor)}`);
    expect(second.status).toBe(200);
    expect(second.data.cursorError).toBeNull();
    const all = [...emails(first), ...emails(second)];
    expect(all).toHaveLength(57);
    expect(new Set(all).size).toBe(57);
  });

  test("forged cursor: a hand-made, truncated or other-list cursor gets a readable message and the first page, never a 500", async () => {
    const first = await list();
    const real = first.data.result.continueCursor as string;
    const otherList = (await list("?filter=free")).data.result.continueCursor as string;
    const forged = [`${real.split(".")[0]}.${"_".repeat(128)}`, real.slice(0, -4), "not-a-cursor", otherList.replace(/.$/, (c) => (c === "A" ? "B" : "A"))];
    for (const cursor of forged) {
      const r = await list(`?cursor=${encodeURIComponent(cursor)}`);
      expect(r.status, cursor).toBe(200);
      expect(r.data.cursorError).toBe(audienceList.BAD_CURSOR_MESSAGE);
      expect(r.data.args.cursor).toBeNull();
      expect(emails(r)).toEqual(emails(first));
    }
  });
});

describe("member detail and comp", () => {
  test("shows the member and their newsletters; comp and uncomp change access", async () => {
    const [m] = (await list("?q=reader.one")).data.result.page;
    const path = `/studio/${siteId}/audience/${m._id}`;
    const params = { siteId, memberId: m._id };
    const page = await loader(audienceMember, get(path, editor.jar), params);
    expect(page.status).toBe(200);
    expect(page.data.member).toMatchObject({ email: "reader.one@example.com", name: "Rita Reader", access: "free", source: "manual", confirmedAt: null });
    // The site's default newsletter was made for the first member, who receives it.
    expect(page.data.newsletters).toHaveLength(1);
    expect(page.data.member.newsletterIds).toEqual([page.data.newsletters[0]._id]);

    const comp = await action(audienceMember, post(path, { intent: "comp" }, editor.jar), params);
    expect(comp.data).toMatchObject({ ok: true, notice: "Complimentary access given." });
    expect((await loader(audienceMember, get(path, editor.jar), params)).data.member.access).toBe("comped");
    const uncomp = await action(audienceMember, post(path, { intent: "uncomp" }, editor.jar), params);
    expect(uncomp.data).toMatchObject({ ok: true, notice: "Complimentary access ended." });
    expect((await loader(audienceMember, get(path, editor.jar), params)).data.member.access).toBe("free");
    const bogus = await action(audienceMember, post(path, { intent: "delete" }, editor.jar), params);
    expect(bogus.status).toBe(400);
    expect(bogus.data.errors.form).toBe("Unknown action.");
  });

  test("cross-tenant read: another site's member, or a malformed id, is a 404 for the detail page and its comp", async () => {
    const theirs = await stranger.convex.mutation(api.audience.add, { siteId: otherSiteId, email: "theirs@example.com" });
    const params = { siteId, memberId: theirs };
    expect((await loader(audienceMember, get(`/studio/${siteId}/audience/${theirs}`, editor.jar), params)).status).toBe(404);
    const comp = await action(audienceMember, post(`/studio/${siteId}/audience/${theirs}`, { intent: "comp" }, editor.jar), params);
    expect(comp.status).toBe(400);
    expect((await stranger.convex.query(api.audience.get, { siteId: otherSiteId, memberId: theirs })).access).toBe("free");
    expect((await loader(audienceMember, get(`/studio/${siteId}/audience/x!`, editor.jar), { siteId, memberId: "x!" })).status).toBe(404);
  });
});

describe("newsletters", () => {
  const path = () => `/studio/${siteId}/newsletters`;
  const send = (fields: Record<string, string>, user = editor) => action(newsletters, post(path(), fields, user.jar), { siteId });
  const names = async () => (await loader(newsletters, get(path(), editor.jar), { siteId })).data.newsletters.map((n: any) => n.name);

  test("create with field errors, then edit, archive and restore", async () => {
    const noName = await send({ intent: "create", name: "", senderName: "Edda", replyTo: "" });
    expect(noName.status).toBe(400);
    expect(noName.data.errors.fields).toEqual({ name: "Give the newsletter a name (1 to 100 characters)." });
    const badReply = await send({ intent: "create", name: "Weekly", senderName: "Edda", replyTo: "nope" });
    expect(badReply.status).toBe(400);
    expect(badReply.data.errors.fields).toEqual({ replyTo: "Enter a valid email address." });
    const noSender = await send({ intent: "create", name: "Weekly", senderName: "  ", replyTo: "" });
    expect(noSender.data.errors.fields).toEqual({ senderName: "Enter a sender name (1 to 100 characters)." });

    const created = await send({ intent: "create", name: "Weekly digest", senderName: "Edda at AW", replyTo: "Edda@Example.com", defaultOn: "on" });
    expect(created.data).toMatchObject({ ok: true, notice: "Newsletter “Weekly digest” created." });
    const page = await loader(newsletters, get(path(), editor.jar), { siteId });
    expect(page.data.appOrigin).toBe(ORIGIN);
    const weekly = page.data.newsletters.find((n: any) => n.name === "Weekly digest");
    expect(weekly).toMatchObject({ senderName: "Edda at AW", replyTo: "edda@example.com", defaultOn: true, archived: false });

    const edited = await send({ intent: "update", newsletterId: weekly._id, name: "Monthly digest", senderName: "Edda", replyTo: "" });
    expect(edited.data).toMatchObject({ ok: true, notice: "Saved." });
    const after = (await loader(newsletters, get(path(), editor.jar), { siteId })).data.newsletters.find((n: any) => n._id === weekly._id);
    expect(after).toMatchObject({ name: "Monthly digest", senderName: "Edda", replyTo: null, defaultOn: false });
    const badEdit = await send({ intent: "update", newsletterId: weekly._id, name: "x".repeat(101), senderName: "Edda" });
    expect(badEdit.data.errors.fields).toEqual({ name: "Give the newsletter a name (1 to 100 characters)." });
    expect(await names()).toContain("Monthly digest");

    expect((await send({ intent: "archive", newsletterId: weekly._id })).data.ok).toBe(true);
    const archived = (await loader(newsletters, get(path(), editor.jar), { siteId })).data.newsletters.find((n: any) => n._id === weekly._id);
    expect(archived.archived).toBe(true);
    expect((await send({ intent: "restore", newsletterId: weekly._id })).data.ok).toBe(true);
    expect((await editor.convex.query(api.newsletters.list, { siteId })).find((n) => n._id === weekly._id)?.archived).toBe(false);
  });

  test("cross-tenant write: another site's newsletter cannot be edited or archived from this site", async () => {
    const theirs = await stranger.convex.mutation(api.newsletters.create, { siteId: otherSiteId, name: "Theirs", senderName: "Sam", defaultOn: true });
    const edit = await send({ intent: "update", newsletterId: theirs, name: "Pwned", senderName: "x" });
    expect(edit.status).toBe(400);
    const archive = await send({ intent: "archive", newsletterId: theirs });
    expect(archive.status).toBe(400);
    const after = await stranger.convex.query(api.newsletters.list, { siteId: otherSiteId });
    expect(after.find((n) => n._id === theirs)).toMatchObject({ name: "Theirs", senderName: "Sam", archived: false });
  });
});

describe("who may see the audience", () => {
  test("audience leak: authors and contributors get 403 on every audience page and action; strangers 404", async () => {
    for (const user of [author, contributor]) {
      expect((await list("", user)).status).toBe(403);
      expect((await loader(newsletters, get(`/studio/${siteId}/newsletters`, user.jar), { siteId })).status).toBe(403);
      const [m] = (await list("?q=reader.one")).data.result.page;
      expect((await loader(audienceMember, get(`/studio/${siteId}/audience/${m._id}`, user.jar), { siteId, memberId: m._id })).status).toBe(403);
      const add = await addMember({ email: `sneaky-${user.email}` }, user);
      expect(add.status).toBe(403);
      const comp = await action(audienceMember, post(`/studio/${siteId}/audience/${m._id}`, { intent: "comp" }, user.jar), { siteId, memberId: m._id });
      expect(comp.status).toBe(403);
      const create = await action(newsletters, post(`/studio/${siteId}/newsletters`, { intent: "create", name: "Sneaky", senderName: "x" }, user.jar), { siteId });
      expect(create.status).toBe(403);
    }
    expect((await list("", stranger)).status).toBe(404);
    expect((await loader(newsletters, get(`/studio/${siteId}/newsletters`, stranger.jar), { siteId })).status).toBe(404);
    expect(emails(await list("?q=sneaky"))).toEqual([]);
    expect((await editor.convex.query(api.newsletters.list, { siteId })).map((n) => n.name)).not.toContain("Sneaky");
  });
});

describe("post editor: the email panel's data", () => {
  test("editors get the newsletters and the post's sends, newest first; a publish with email shows up as a send", async () => {
    // Its own newsletter, so the test also runs alone (-t).
    const newsletterId = await editor.convex.mutation(api.newsletters.create, { siteId, name: "Editor panel letter", senderName: "Edda", defaultOn: false });
    const postId = await editor.convex.mutation(api.posts.create, { siteId, title: "Emailed post" });
    const open = () => loader(editPost, get(`/studio/${siteId}/posts/${postId}`, editor.jar), { siteId, postId });
    const before = await open();
    expect(before.status).toBe(200);
    const listed = await editor.convex.query(api.newsletters.list, { siteId });
    expect(before.data.email.newsletters.map((n: any) => n._id)).toEqual(listed.map((n) => n._id));
    expect(before.data.email.sends).toEqual([]);
    await editor.convex.mutation(api.posts.publish, { siteId, postId, email: { newsletterId, segment: "free" } });
    const after = await open();
    expect(after.data.email.sends).toEqual([expect.objectContaining({ postId, newsletterId, segment: "free", postTitle: "Emailed post" })]);
  });

  test("audience leak: an author opening their own post gets no newsletters or sends (and no panel)", async () => {
    const postId = await author.convex.mutation(api.posts.create, { siteId, title: "Author's post" });
    const page = await loader(editPost, get(`/studio/${siteId}/posts/${postId}`, author.jar), { siteId, postId });
    expect(page.status).toBe(200);
    expect(page.data.edit.canPublish).toBe(true);
    expect(page.data.email).toBeNull();
  });
});
