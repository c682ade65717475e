// Server rendering, in plain Node (no DOM globals), as a Remix loader/route renders it.
import { createElement } from "react";
import { renderToString } from "react-dom/server";
import { expect, it } from "vitest";
import { Editor } from "./Editor";

it("renders on the server without creating the editor (immediatelyRender: false)", () => {
  expect(typeof document).toBe("undefined");
  const initialDoc = JSON.stringify({ type: "doc", content: [{ type: "paragraph", content: [{ type: "text", text: "Hi" }] }] });
  const html = renderToString(createElement(Editor, { initialDoc, placeholder: "Write…" }));
  expect(html).toContain('role="toolbar"');
  expect(html).toContain('aria-busy="true"');
  expect(html).toMatch(/<button[^>]*aria-label="Bold"[^>]*disabled/);
});
