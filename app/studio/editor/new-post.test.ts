import { describe, expect, test } from "vitest";
import { isBlankDoc, isRealChange } from "./new-post";

const doc = (...content: unknown[]) => JSON.stringify({ type: "doc", content });
const p = (text?: string) => ({ type: "paragraph", ...(text === undefined ? {} : { content: [{ type: "text", text }] }) });

describe("new post: what counts as a real change (the post is created on the first one)", () => {
  test("an empty editor, an empty paragraph or spaces are not writing", () => {
    expect(isBlankDoc("")).toBe(true);
    expect(isBlankDoc(doc(p()))).toBe(true);
    expect(isBlankDoc(doc(p(), p("   ")))).toBe(true);
    expect(isRealChange({ title: "   ", doc: doc(p()) })).toBe(false);
  });

  test("text, an image or a rule in the body, or a title, are", () => {
    expect(isBlankDoc(doc(p("Hello")))).toBe(false);
    expect(isBlankDoc(doc({ type: "image", attrs: { src: "https://cdn.example.com/a.png" } }))).toBe(false);
    expect(isBlankDoc(doc(p(), { type: "horizontalRule" }))).toBe(false);
    expect(isRealChange({ title: "A", doc: "" })).toBe(true);
    expect(isRealChange({ title: "", doc: doc(p("x")) })).toBe(true);
  });
});
