import { describe, expect, test } from "vitest";
import { backends, modules } from "../tests/support/backends";
import { as, createWorld, doc, type T } from "../tests/support/factories";
import { api } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import schema from "./schema";
import { MAX_NAV_LINKS } from "./shared/theme";

// Studio → Design data (issue #16, ADR 014): sites.updateTheme validates every choice with the
// shared theme and field rules, merges into branding, audits; getPublic resolves the theme; the
// post cover's alt text and caption round-trip to the reader projection.

async function outcome(p: Promise<unknown>) {
  try {
    await p;
    return "ok";
  } catch (e: any) {
    return e?.data ? { code: e.data.code, field: e.data.field } : `threw: ${e?.message}`;
  }
}

const image = (t: T) => t.run(async (ctx) => ctx.storage.store(new Blob(["png bytes"], { type: "image/png" })));

describe.each(backends)("sites.updateTheme (%s)", (_name, convexTest) => {
  test("valid choices save, getPublic resolves them, and the change is audited", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const before = await t.query(api.sites.getPublic, { slug: "daily" });
    // A site that never chose gets the classic theme's defaults.
    expect(before).toMatchObject({
      theme: { theme: "classic", fontPair: "editorial", homeLayout: "list", colorScheme: "auto", navLinks: [] },
      coverUrl: null,
    });
    const cover = await image(t);
    await as(t, w.users.admin).mutation(api.sites.updateTheme, {
      siteId: w.siteId,
      theme: "magazine",
      colorScheme: "dark",
      navLinks: [
        { label: " About ", url: "/about" },
        { label: "Shop", url: "https://shop.example.com/" },
      ],
      accentColor: "#1A73E8",
      coverStorageId: cover,
    });
    const site = await t.query(api.sites.getPublic, { slug: "daily" });
    expect(site?.theme).toEqual({
      theme: "magazine",
      fontPair: "modern", // the magazine theme's default, as nothing was chosen
      homeLayout: "magazine",
      colorScheme: "dark",
      navLinks: [
        { label: "About", url: "/about" },
        { label: "Shop", url: "https://shop.example.com/" },
      ],
    });
    expect(site?.accentColor).toBe("#1A73E8");
    expect(site?.coverUrl).toEqual(expect.stringMatching(/\S/));
    const logs = await t.run((ctx) => ctx.db.query("auditLogs").collect());
    const entry = logs.find((l) => l.action === "site.theme");
    expect(entry).toMatchObject({ siteId: w.siteId, actorId: w.users.admin, entityId: w.siteId });
    // Clearing the cover with null.
    await as(t, w.users.admin).mutation(api.sites.updateTheme, { siteId: w.siteId, coverStorageId: null });
    expect((await t.query(api.sites.getPublic, { slug: "daily" }))?.coverUrl).toBeNull();
  });

  test("each invalid input is refused with INVALID_ARGUMENT on its field, and nothing is saved", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const owner = as(t, w.users.owner);
    const link = (label: string, url: string) => ({ navLinks: [{ label: "Fine", url: "/fine" }, { label, url }] });
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ theme: "brutalist" }, "theme"],
      [{ fontPair: "comic-sans" }, "fontPair"],
      [{ homeLayout: "carousel" }, "homeLayout"],
      [{ colorScheme: "sepia" }, "colorScheme"],
      [{ accentColor: "blue" }, "accentColor"],
      [{ accentColor: "#12345" }, "accentColor"],
      [link("", "/about"), "navLinks.1.label"],
      [link("x".repeat(41), "/about"), "navLinks.1.label"],
      [link("About", ""), "navLinks.1.url"],
      [link("About", `/${"a".repeat(500)}`), "navLinks.1.url"],
      [link("About", "about"), "navLinks.1.url"],
      [link("Evil", "//evil.com"), "navLinks.1.url"],
      [link("Evil", "data:text/html,<script>alert(1)</script>"), "navLinks.1.url"],
      [{ navLinks: Array.from({ length: MAX_NAV_LINKS + 1 }, (_, i) => ({ label: `L${i}`, url: `/l${i}` })) }, "navLinks"],
    ];
    for (const [args, field] of cases) {
      expect(await outcome(owner.mutation(api.sites.updateTheme, { siteId: w.siteId, ...args } as any)), JSON.stringify(args)).toEqual({
        code: "INVALID_ARGUMENT",
        field,
      });
    }
    // A deleted upload: NOT_FOUND on the image's field.
    const gone = await image(t);
    await t.run(async (ctx) => ctx.storage.delete(gone));
    expect(await outcome(owner.mutation(api.sites.updateTheme, { siteId: w.siteId, logoStorageId: gone }))).toEqual({ code: "NOT_FOUND", field: "logo" });
    expect(await outcome(owner.mutation(api.sites.updateTheme, { siteId: w.siteId, coverStorageId: gone }))).toEqual({ code: "NOT_FOUND", field: "cover" });
    const site = await t.run((ctx) => ctx.db.get("sites", w.siteId));
    expect(site?.branding).toBeUndefined();
  });

  test("XSS: a javascript: navigation link is refused (and one already stored is never rendered)", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    for (const url of ["javascript:alert(document.cookie)", " JavaScript:alert(1)", "java\tscript:alert(1)", "vbscript:msgbox(1)"]) {
      expect(await outcome(as(t, w.users.owner).mutation(api.sites.updateTheme, { siteId: w.siteId, navLinks: [{ label: "Click", url }] }))).toEqual({
        code: "INVALID_ARGUMENT",
        field: "navLinks.0.url",
      });
    }
    // Written past the mutation (an old row, a bug): getPublic's resolveTheme drops it.
    await t.run(async (ctx) => ctx.db.patch("sites", w.siteId, { branding: { navLinks: [{ label: "Click", url: "javascript:alert(1)" }, { label: "About", url: "/about" }] } }));
    expect((await t.query(api.sites.getPublic, { slug: "daily" }))?.theme.navLinks).toEqual([{ label: "About", url: "/about" }]);
  });

  test("a theme change keeps accent, logo and the other choices; updateSettings keeps the theme", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const owner = as(t, w.users.owner);
    const logo = await image(t);
    const cover = await image(t);
    await owner.mutation(api.sites.updateTheme, { siteId: w.siteId, accentColor: "#aa0000", logoStorageId: logo, coverStorageId: cover, fontPair: "classic" });
    await owner.mutation(api.sites.updateTheme, { siteId: w.siteId, theme: "magazine", navLinks: [{ label: "About", url: "/about" }] });
    const branding = async () => (await t.run((ctx) => ctx.db.get("sites", w.siteId)))?.branding;
    expect(await branding()).toEqual({
      accentColor: "#aa0000",
      logoStorageId: logo,
      coverStorageId: cover,
      fontPair: "classic",
      theme: "magazine",
      navLinks: [{ label: "About", url: "/about" }],
    });
    // updateSettings used to rewrite branding as { accentColor, logoStorageId }, dropping the theme.
    await owner.mutation(api.sites.updateSettings, { siteId: w.siteId, accentColor: "#00aa00" });
    expect(await branding()).toMatchObject({ accentColor: "#00aa00", logoStorageId: logo, coverStorageId: cover, theme: "magazine", fontPair: "classic" });
    // Clearing the accent removes the field rather than storing undefined.
    await owner.mutation(api.sites.updateTheme, { siteId: w.siteId, accentColor: null });
    expect(await branding()).not.toHaveProperty("accentColor");
  });

  test("cross-tenant write: another site's owner cannot change this theme", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    expect(await outcome(as(t, w.users.outsider).mutation(api.sites.updateTheme, { siteId: w.siteId, theme: "magazine" }))).toEqual({
      code: "NOT_FOUND",
      field: undefined,
    });
    // Nothing was written.
    expect((await t.run((ctx) => ctx.db.get("sites", w.siteId)))?.branding).toBeUndefined();
    // Editors of this site cannot either: Design is a settings change.
    expect(await outcome(as(t, w.users.editor).mutation(api.sites.updateTheme, { siteId: w.siteId, theme: "magazine" }))).toEqual({
      code: "FORBIDDEN",
      field: undefined,
    });
  });
});

describe.each(backends)("post cover alt text and caption (%s)", (_name, convexTest) => {
  async function postWithCover(t: T, siteId: Id<"sites">, author: ReturnType<typeof as>) {
    const postId = await author.mutation(api.posts.create, { siteId, title: "With a cover", doc: doc("Body.") });
    return { postId, storageId: await image(t) };
  }

  test("alt and caption round-trip to the editor and every reader shape; clearing the image clears them", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const author = as(t, w.users.author);
    const { postId, storageId } = await postWithCover(t, w.siteId, author);
    await author.mutation(api.posts.setCoverImage, { siteId: w.siteId, postId, storageId, alt: " A heron on the ice ", caption: "Photo: R. Iver" });
    const edit = await author.query(api.posts.getForEdit, { siteId: w.siteId, postId });
    expect(edit.post).toMatchObject({ coverImageAlt: "A heron on the ice", coverImageCaption: "Photo: R. Iver" });
    await author.mutation(api.posts.publish, { siteId: w.siteId, postId });
    const read = await t.query(api.reader.postBySlug, { siteSlug: "daily", slug: "with-a-cover" });
    expect(read).toMatchObject({ kind: "post", post: { coverImageAlt: "A heron on the ice", coverImageCaption: "Photo: R. Iver" } });
    const list = await t.query(api.reader.latest, { siteSlug: "daily", paginationOpts: { numItems: 5, cursor: null } });
    expect(list.page.find((p: any) => p._id === postId)).toMatchObject({ coverImageAlt: "A heron on the ice", coverImageCaption: "Photo: R. Iver" });

    // Changing only the alt keeps the caption; "" clears a text.
    await author.mutation(api.posts.setCoverImage, { siteId: w.siteId, postId, storageId, alt: "" });
    expect((await author.query(api.posts.getForEdit, { siteId: w.siteId, postId })).post).toMatchObject({ coverImageCaption: "Photo: R. Iver" });
    expect((await author.query(api.posts.getForEdit, { siteId: w.siteId, postId })).post).not.toHaveProperty("coverImageAlt");
    await author.mutation(api.posts.setCoverImage, { siteId: w.siteId, postId, storageId: null });
    const cleared = (await author.query(api.posts.getForEdit, { siteId: w.siteId, postId })).post;
    expect(cleared.coverImageCaption).toBeUndefined();
    const readAgain = await t.query(api.reader.postBySlug, { siteSlug: "daily", slug: "with-a-cover" });
    expect(readAgain).toMatchObject({ post: { coverImageUrl: null, coverImageAlt: null, coverImageCaption: null } });
  });

  test("over-long alt text or caption is refused on its field", async () => {
    const t = convexTest(schema, modules);
    const w = await createWorld(t);
    const author = as(t, w.users.author);
    const { postId, storageId } = await postWithCover(t, w.siteId, author);
    expect(await outcome(author.mutation(api.posts.setCoverImage, { siteId: w.siteId, postId, storageId, alt: "x".repeat(301) }))).toEqual({ code: "INVALID_ARGUMENT", field: "coverAlt" });
    expect(await outcome(author.mutation(api.posts.setCoverImage, { siteId: w.siteId, postId, storageId, caption: "x".repeat(301) }))).toEqual({
      code: "INVALID_ARGUMENT",
      field: "coverCaption",
    });
    expect((await author.query(api.posts.getForEdit, { siteId: w.siteId, postId })).post.coverImageId).toBeUndefined();
  });
});
