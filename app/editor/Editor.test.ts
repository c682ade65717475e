// @vitest-environment happy-dom
import type { Editor as TiptapEditor } from "@tiptap/react";
import { act, createElement } from "react";
import { createRoot, type Root } from "react-dom/client";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Editor, normalizeLinkInput, type EditorProps } from "./Editor";

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const STORED = JSON.stringify({
  type: "doc",
  content: [{ type: "paragraph", content: [{ type: "text", text: "Hello world" }] }],
});

let root: Root | null = null;
let container: HTMLElement | null = null;

async function mount(props: EditorProps = {}) {
  container = document.createElement("div");
  document.body.appendChild(container);
  let editor: TiptapEditor | null = null;
  root = createRoot(container);
  await act(async () => {
    root!.render(createElement(Editor, { ...props, onEditor: (e) => (editor = e) }));
  });
  await act(async () => {}); // the editor is created in an effect (immediatelyRender: false)
  if (!editor) throw new Error("editor not created");
  return { editor: editor as TiptapEditor, container };
}

afterEach(async () => {
  await act(async () => root?.unmount());
  container?.remove();
  root = null;
  container = null;
});

const button = (label: string) => container!.querySelector<HTMLButtonElement>(`button[aria-label="${label}"]`)!;

describe("Editor (happy-dom smoke test)", () => {
  it("shows the stored document, with a toolbar, after hydration", async () => {
    const { container } = await mount({ initialDoc: STORED });
    expect(container.querySelector(".ProseMirror")!.textContent).toBe("Hello world");
    expect(container.querySelector('[role="toolbar"]')).not.toBeNull();
    expect(button("Bold").disabled).toBe(false);
  });

  it("reports changes as document JSON text; the toolbar formats the selection", async () => {
    const onChange = vi.fn();
    const { editor } = await mount({ initialDoc: STORED, onChange });
    await act(async () => {
      editor.commands.setTextSelection({ from: 1, to: 6 }); // "Hello"
      button("Bold").click();
    });
    const last = JSON.parse(onChange.mock.calls.at(-1)![0]);
    expect(last.content[0].content[0]).toEqual({ type: "text", text: "Hello", marks: [{ type: "bold" }] });
    expect(button("Bold").getAttribute("aria-pressed")).toBe("true");
  });

  it("Markdown input rules (StarterKit) turn '## ' into a heading", async () => {
    const { editor } = await mount();
    await act(async () => {
      editor.commands.focus();
      // Input rules run on typed text: simulate typing through the view's handleTextInput.
      const view = editor.view;
      for (const ch of "## Title") {
        const { from, to } = view.state.selection;
        const handled = view.someProp("handleTextInput", (f) => f(view, from, to, ch, () => view.state.tr.insertText(ch, from, to)));
        if (!handled) view.dispatch(view.state.tr.insertText(ch, from, to));
      }
    });
    expect(editor.getJSON().content![0]).toEqual({ type: "heading", attrs: { level: 2 }, content: [{ type: "text", text: "Title" }] });
  });

  it("pastes plain text that looks like Markdown as formatted content", async () => {
    const { editor } = await mount();
    const data = new Map([["text/plain", "# Pasted\n\nsome **bold** and a [link](https://example.com)"]]);
    const event = { clipboardData: { getData: (t: string) => data.get(t) ?? "", files: [] }, preventDefault() {} } as unknown as ClipboardEvent;
    await act(async () => {
      const view = editor.view;
      view.someProp("handlePaste", (f) => f(view, event, view.state.doc.slice(0, 0)));
    });
    const json = editor.getJSON();
    expect(json.content![0]).toMatchObject({ type: "heading", attrs: { level: 1 } });
    expect(JSON.stringify(json)).toContain('"href":"https://example.com"');
    expect(JSON.stringify(json)).toContain('"marks":[{"type":"bold"}]');
  });

  it("sanitizes pasted HTML before the schema parses it", async () => {
    const { editor } = await mount();
    const view = editor.view;
    const cleaned = view.someProp("transformPastedHTML", (f) => f('<p onclick="x()">a<img src=x onerror=alert(1)><script>alert(1)</script></p>', view));
    expect(cleaned).toBe("<p>a</p>");
  });

  it("uploads an image through onUploadImage, showing progress, and inserts it", async () => {
    let finish: (url: string) => void = () => {};
    const onUploadImage = vi.fn((_file: File, onProgress: (f: number) => void) => {
      onProgress(0.5);
      return new Promise<string>((resolve) => (finish = resolve));
    });
    const { editor, container } = await mount({ onUploadImage });
    const input = container.querySelector<HTMLInputElement>('input[type="file"]')!;
    const file = new File(["png"], "cat.png", { type: "image/png" });
    Object.defineProperty(input, "files", { value: [file], configurable: true });
    await act(async () => {
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
    expect(onUploadImage).toHaveBeenCalledWith(file, expect.any(Function));
    expect(container.querySelector('[role="status"]')!.textContent).toBe("Uploading cat.png… 50%");
    await act(async () => finish("https://cdn.example.com/cat.png"));
    expect(editor.getJSON().content).toContainEqual({ type: "image", attrs: { src: "https://cdn.example.com/cat.png", alt: "cat", title: null } });
    expect(container.querySelector('[role="status"]')!.textContent).toBe("");
  });

  it("refuses unsafe link and image addresses", async () => {
    const requestUrl = vi.fn((kind: "link" | "image") => (kind === "link" ? "javascript:alert(1)" : "data:image/png;base64,AAAA"));
    const { editor, container } = await mount({ initialDoc: STORED, requestUrl });
    await act(async () => {
      editor.commands.setTextSelection({ from: 1, to: 6 });
      button("Link").click();
    });
    expect(container.querySelector('[role="status"]')!.textContent).toMatch(/not allowed/);
    await act(async () => button("Image from URL").click());
    expect(JSON.stringify(editor.getJSON())).not.toMatch(/javascript:|data:/);
  });

  it("text typed right after inserting a link is not part of the link (non-inclusive mark)", async () => {
    const { editor } = await mount({ initialDoc: STORED, requestUrl: () => "example.com" });
    await act(async () => {
      editor.commands.setTextSelection(12); // the end of "Hello world"
      button("Link").click();
    });
    await act(async () => {}); // the link prompt answers asynchronously
    // Typing goes through tr.insertText, which takes the marks at the cursor ($from.marks()).
    await act(async () => {
      editor.view.dispatch(editor.state.tr.insertText(" and more"));
    });
    const content = editor.getJSON().content![0].content! as Array<{ text?: string; marks?: Array<{ type: string; attrs?: Record<string, unknown> }> }>;
    const linked = content.filter((n) => n.marks?.some((m) => m.type === "link"));
    expect(linked.map((n) => [n.text, n.marks![0].attrs!.href])).toEqual([["example.com", "https://example.com"]]);
    expect(content.at(-1)).toEqual({ type: "text", text: " and more" });
    // Typing inside an existing link still extends it (only its end is exclusive).
    await act(async () => {
      editor.commands.setTextSelection(15); // inside "example.com"
      editor.view.dispatch(editor.state.tr.insertText("X"));
    });
    const after = editor.getJSON().content![0].content! as Array<{ text?: string; marks?: unknown[] }>;
    expect(after.find((n) => n.marks?.length)!.text).toBe("exaXmple.com");
  });

  it("shows the placeholder in an empty document", async () => {
    const { container } = await mount({ placeholder: "Tell your story…" });
    const p = container.querySelector(".ProseMirror p")!;
    expect(p.getAttribute("data-placeholder")).toBe("Tell your story…");
    expect(p.classList.contains("is-editor-empty")).toBe(true);
  });
});

describe("normalizeLinkInput", () => {
  it.each([
    ["example.com/x", "https://example.com/x"],
    ["https://example.com", "https://example.com"],
    ["me@example.com", "mailto:me@example.com"],
    ["/about", "/about"],
    ["#notes", "#notes"],
    ["javascript:alert(1)", null],
    ["  ", null],
    ["not a url", null],
  ])("%j → %j", (input, expected) => {
    expect(normalizeLinkInput(input)).toBe(expected);
  });
});
