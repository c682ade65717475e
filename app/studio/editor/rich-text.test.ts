// @vitest-environment happy-dom
// The lazily loaded studio editor in a browser-like DOM: the fallback first, then the real editor,
// which hands the page its handle (get/set the document without an edit).
import { act, createElement } from "react";
import { createRoot, type Root } from "react-dom/client";
import { afterEach, expect, it, vi } from "vitest";
import { RichTextEditor, type EditorHandle } from "./rich-text";

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let root: Root | null = null;
let container: HTMLElement | null = null;

afterEach(async () => {
  await act(async () => root?.unmount());
  container?.remove();
});

it("loads the editor chunk, then reports a working handle; setDoc is not an edit", async () => {
  container = document.createElement("div");
  document.body.appendChild(container);
  root = createRoot(container);
  let handle: EditorHandle | null = null;
  const onChange = vi.fn();
  const initialDoc = JSON.stringify({ type: "doc", content: [{ type: "paragraph", content: [{ type: "text", text: "Hello" }] }] });
  await act(async () => {
    root!.render(createElement(RichTextEditor, { initialDoc, editable: true, onChange, onReady: (h) => (handle = h) }));
  });
  await vi.waitFor(
    async () => {
      await act(async () => {});
      expect(handle).not.toBeNull();
    },
    { timeout: 10_000 },
  );
  expect(container.querySelector('[role="toolbar"]')).not.toBeNull();
  expect(JSON.parse(handle!.getDoc()).content[0].content[0].text).toBe("Hello");
  const next = JSON.stringify({ type: "doc", content: [{ type: "paragraph", content: [{ type: "text", text: "Theirs" }] }] });
  await act(async () => handle!.setDoc(next));
  expect(JSON.parse(handle!.getDoc()).content[0].content[0].text).toBe("Theirs");
  expect(onChange).not.toHaveBeenCalled();
});
