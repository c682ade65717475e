// The studio's editor is a lazily loaded chunk (./rich-text.tsx, issue #16 budgets); the editor page
// still renders it on the server: React's streaming renderer waits for the lazy module, so the
// document a crawler or a slow browser gets holds the real toolbar and body, not the fallback.
import { createElement } from "react";
import { renderToPipeableStream } from "react-dom/server";
import { Writable } from "node:stream";
import { expect, it } from "vitest";
import { RichTextEditor } from "./rich-text";

function renderAll(element: ReturnType<typeof createElement>): Promise<string> {
  return new Promise((resolve, reject) => {
    let html = "";
    const sink = new Writable({
      write(chunk, _enc, done) {
        html += String(chunk);
        done();
      },
      final(done) {
        resolve(html);
        done();
      },
    });
    const stream = renderToPipeableStream(element, { onAllReady: () => stream.pipe(sink), onShellError: reject, onError: reject });
  });
}

it("renders the lazily loaded editor on the server: toolbar, disabled until hydration, busy body", async () => {
  expect(typeof document).toBe("undefined");
  const initialDoc = JSON.stringify({ type: "doc", content: [{ type: "paragraph", content: [{ type: "text", text: "Hi" }] }] });
  const html = await renderAll(createElement(RichTextEditor, { initialDoc, editable: true, onChange: () => {}, onReady: () => {} }));
  expect(html).toContain('role="toolbar"');
  expect(html).toMatch(/<button[^>]*aria-label="Bold"[^>]*disabled/);
  expect(html).toContain('class="pressroom-editor st-rich-text"');
  expect(html).toContain('aria-busy="true"');
});
