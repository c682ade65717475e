import { ConvexError } from "convex/values";
import { describe, expect, test } from "vitest";
import { backends, modules } from "../tests/support/backends";
import { api, internal } from "./_generated/api";
import schema from "./schema";

describe.each(backends)("sites on %s", (_name, convexTest) => {
  test("the directory lists publications by name with their descriptions", async () => {
    const t = convexTest(schema, modules);
    await t.mutation(internal.sites.create, { name: "Zebra Weekly", slug: "zebra" });
    await t.mutation(internal.sites.create, { name: "Alpine Notes", slug: "alpine", description: "Mountains." });
    expect(await t.query(api.sites.listDirectory, {})).toEqual([
      { name: "Alpine Notes", slug: "alpine", description: "Mountains." },
      { name: "Zebra Weekly", slug: "zebra", description: null },
    ]);
  });

  test("a taken slug is refused with SLUG_TAKEN and nothing is written", async () => {
    const t = convexTest(schema, modules);
    await t.mutation(internal.sites.create, { name: "First", slug: "same" });
    const error = await t.mutation(internal.sites.create, { name: "Second", slug: "same" }).catch((e) => e);
    expect(error).toBeInstanceOf(ConvexError);
    expect(error.data).toEqual({ code: "SLUG_TAKEN", field: "slug" });
    expect(await t.query(api.sites.listDirectory, {})).toHaveLength(1);
  });

  test("a malformed slug is refused with INVALID_SLUG", async () => {
    const t = convexTest(schema, modules);
    const error = await t.mutation(internal.sites.create, { name: "Bad", slug: "Not A Slug!" }).catch((e) => e);
    expect(error.data).toEqual({ code: "INVALID_SLUG", field: "slug" });
  });
});
