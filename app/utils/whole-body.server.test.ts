import { describe, expect, test } from "vitest";
import { wholeBody, withWholeBody } from "./whole-body.server";

describe("whole bodies for the production server (issue #18)", () => {
  test("a response made with withWholeBody gives its body, and still reads as usual", async () => {
    const r = withWholeBody(new Response("<p>page</p>"), "<p>page</p>");
    expect(wholeBody(r)).toBe("<p>page</p>");
    const bytes = new Uint8Array([1, 2, 3]);
    expect(wholeBody(withWholeBody(new Response(bytes), bytes))).toBe(bytes);
    expect(await r.text()).toBe("<p>page</p>");
  });

  test("any other response, or one whose body was read, falls back to its stream", async () => {
    expect(wholeBody(new Response("<p>other</p>"))).toBeUndefined();
    const read = withWholeBody(new Response("<p>page</p>"), "<p>page</p>");
    await read.text();
    expect(wholeBody(read)).toBeUndefined();
    const locked = withWholeBody(new Response("<p>page</p>"), "<p>page</p>");
    locked.body!.getReader();
    expect(wholeBody(locked)).toBeUndefined();
  });
});
