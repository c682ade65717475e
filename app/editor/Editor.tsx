// The post body editor: presentational. It takes the stored document, reports changes as document
// JSON text, and knows nothing about saving (the studio route wires AutosaveController) or storage
// (image uploads go through the onUploadImage prop).
//
// Server rendering: `immediatelyRender: false`, so the server (and the first client render) shows
// the toolbar disabled and an empty, aria-busy body until the editor is created after hydration.

import { EditorContent, useEditor, useEditorState, type Editor as TiptapEditor } from "@tiptap/react";
import { Slice } from "@tiptap/pm/model";
import type { EditorView } from "@tiptap/pm/view";
import { useEffect, useRef, useState, type ChangeEvent, type ReactNode } from "react";
import { emptyDoc, parseDocText, stringifyDoc } from "./doc";
import { EDITOR_CSS, editorExtensions, HEADING_LEVELS, MARK, NODE } from "./extensions";
import { looksLikeMarkdown, markdownToDoc, sanitizeImportedHtml } from "./markdown";
import { safeImageSrc, safeLinkHref } from "./urls";
import { toUserError, UserFacingError } from "../../convex/shared/errors";

export const DEFAULT_LABELS = {
  toolbar: "Formatting",
  body: "Post body",
  bold: "Bold",
  italic: "Italic",
  strike: "Strikethrough",
  code: "Inline code",
  link: "Link",
  blockStyle: "Text style",
  paragraph: "Paragraph",
  heading: (level: number) => `Heading ${level}`,
  bulletList: "Bulleted list",
  orderedList: "Numbered list",
  blockquote: "Quote",
  codeBlock: "Code block",
  horizontalRule: "Divider",
  imageUrl: "Image from URL",
  uploadImage: "Upload image",
  uploading: (name: string, percent: number) => `Uploading ${name}… ${percent}%`,
  linkPrompt: "Link address (empty to remove the link)",
  imagePrompt: "Image address",
  invalidUrl: "That address is not allowed (use https://, mailto: or a /path).",
  invalidImageUrl: "That image address is not allowed (use https://).",
  uploadFailed: (message: string) => `Upload failed: ${message}`,
};
export type EditorLabels = typeof DEFAULT_LABELS;

export interface EditorProps {
  /** The stored document (JSON text, `postBodies.doc`). Read once, when the editor is created. */
  initialDoc?: string | null;
  /** Every change, as document JSON text (what `posts:saveDraft` takes as `doc`). */
  onChange?: (docJson: string) => void;
  placeholder?: string;
  editable?: boolean;
  /**
   * Uploads an image and resolves with its URL (an http(s) storage URL). Without it there is no
   * upload button, and pasted or dropped image files are ignored. A failure shows its text only
   * if it is a UserFacingError (convex/shared/errors.ts toUserError), otherwise the generic line.
   */
  onUploadImage?: (file: File, onProgress: (fraction: number) => void) => Promise<string>;
  /** Asks for a URL (link or image); defaults to window.prompt. Null or undefined: cancelled. */
  requestUrl?: (kind: "link" | "image", current: string | null) => Promise<string | null | undefined> | string | null | undefined;
  /** The editor instance once created (null when destroyed): for focus, setContent after a conflict, … */
  onEditor?: (editor: TiptapEditor | null) => void;
  labels?: Partial<EditorLabels>;
  className?: string;
  /** Rendered at the end of the toolbar (e.g. the autosave status). */
  toolbarEnd?: ReactNode;
}

/** What the user typed in a link box → an href, or null: adds https:// to bare domains. */
export function normalizeLinkInput(input: string): string | null {
  const value = input.trim();
  if (!value) return null;
  if (/^[a-z][a-z0-9+.-]*:/i.test(value) || value.startsWith("/") || value.startsWith("#")) return safeLinkHref(value);
  if (/^[^\s@/]+@[^\s@/]+\.[^\s@/]+$/.test(value)) return safeLinkHref(`mailto:${value}`);
  if (/^[^\s/]+\.[^\s/]+/.test(value)) return safeLinkHref(`https://${value}`);
  return null;
}

/** Whether pasted HTML carries formatting of its own (else plain text that looks like Markdown wins). */
function hasSemanticHtml(html: string): boolean {
  // Code editors (VS Code, …) put the copied text in styled <div>/<span>s and <br>s: not formatting.
  return /<(p|h[1-6]|ul|ol|li|strong|b|em|i|a|pre|code|blockquote|img|table)\b/i.test(html);
}

/** Pastes plain text that looks like Markdown as formatted content. Returns true when it did. */
export function pasteMarkdown(view: EditorView, text: string): boolean {
  const { state } = view;
  if (state.selection.$from.parent.type.spec.code) return false; // in a code block: text stays text
  const json = markdownToDoc(text);
  const doc = state.schema.nodeFromJSON(json);
  view.dispatch(state.tr.replaceSelection(Slice.maxOpen(doc.content)).scrollIntoView());
  return true;
}

function toolbarState(e: TiptapEditor) {
  return {
    bold: e.isActive(MARK.bold),
    italic: e.isActive(MARK.italic),
    strike: e.isActive(MARK.strike),
    code: e.isActive(MARK.code),
    link: e.isActive(MARK.link),
    heading: HEADING_LEVELS.find((level) => e.isActive(NODE.heading, { level })) ?? 0,
    bulletList: e.isActive(NODE.bulletList),
    orderedList: e.isActive(NODE.orderedList),
    blockquote: e.isActive(NODE.blockquote),
    codeBlock: e.isActive(NODE.codeBlock),
  };
}

function imageFiles(list: FileList | null | undefined): File[] {
  return Array.from(list ?? []).filter((f) => f.type.startsWith("image/"));
}

export function Editor(props: EditorProps) {
  const labels = { ...DEFAULT_LABELS, ...props.labels };
  const propsRef = useRef(props);
  propsRef.current = props;
  const [upload, setUpload] = useState<{ name: string; percent: number } | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const uploadRef = useRef<(files: File[], at?: number) => void>(() => {});

  const editor = useEditor(
    {
      immediatelyRender: false,
      extensions: editorExtensions({ placeholder: props.placeholder }),
      content: (props.initialDoc ? parseDocText(props.initialDoc) : null) ?? emptyDoc(),
      editable: props.editable ?? true,
      editorProps: {
        attributes: { "aria-label": labels.body, "aria-multiline": "true", role: "textbox", spellcheck: "true" },
        // Pasted HTML goes through the same allowlist as imports before the schema parses it.
        transformPastedHTML: (html) => sanitizeImportedHtml(html),
        handlePaste: (view, event) => {
          const data = event.clipboardData;
          if (!data) return false;
          const files = imageFiles(data.files);
          if (files.length && propsRef.current.onUploadImage) {
            uploadRef.current(files);
            return true;
          }
          const text = data.getData("text/plain");
          const html = data.getData("text/html");
          if (text && looksLikeMarkdown(text) && (!html || !hasSemanticHtml(html))) {
            return pasteMarkdown(view, text);
          }
          return false;
        },
        handleDrop: (view, event, _slice, moved) => {
          const files = imageFiles(event.dataTransfer?.files);
          if (moved || !files.length || !propsRef.current.onUploadImage) return false;
          const at = view.posAtCoords({ left: event.clientX, top: event.clientY })?.pos;
          uploadRef.current(files, at);
          return true;
        },
        handleKeyDown: (_view, event) => {
          if ((event.metaKey || event.ctrlKey) && !event.shiftKey && !event.altKey && event.key.toLowerCase() === "k") {
            void linkRef.current();
            return true;
          }
          return false;
        },
      },
      onUpdate: ({ editor: e }) => propsRef.current.onChange?.(stringifyDoc(e.getJSON())),
    },
    [],
  );

  useEffect(() => {
    propsRef.current.onEditor?.(editor);
    return () => propsRef.current.onEditor?.(null);
  }, [editor]);

  useEffect(() => {
    if (editor && !editor.isDestroyed) editor.setEditable(props.editable ?? true, false);
  }, [editor, props.editable]);

  const selected = useEditorState({ editor, selector: ({ editor: e }) => (e ? toolbarState(e) : null) });
  // The selector stays null until the first transaction (immediatelyRender: false): read directly.
  const state = selected ?? (editor ? toolbarState(editor) : null);

  const ask = async (kind: "link" | "image", current: string | null) => {
    const request = propsRef.current.requestUrl;
    if (request) return (await request(kind, current)) ?? null;
    if (typeof window === "undefined") return null;
    return window.prompt(kind === "link" ? labels.linkPrompt : labels.imagePrompt, current ?? "") ?? null;
  };

  const setLink = async () => {
    if (!editor) return;
    const current = (editor.getAttributes(MARK.link).href as string | undefined) ?? null;
    const input = await ask("link", current);
    if (input === null) return;
    if (!input.trim()) {
      editor.chain().focus().extendMarkRange(MARK.link).unsetLink().run();
      setMessage(null);
      return;
    }
    const href = normalizeLinkInput(input);
    if (!href) {
      setMessage(labels.invalidUrl);
      return;
    }
    setMessage(null);
    const chain = editor.chain().focus().extendMarkRange(MARK.link);
    if (editor.state.selection.empty && !editor.isActive(MARK.link)) {
      chain.insertContent({ type: "text", text: input.trim(), marks: [{ type: MARK.link, attrs: { href } }] }).run();
    } else {
      chain.setLink({ href }).run();
    }
  };
  const linkRef = useRef(setLink);
  linkRef.current = setLink;

  const imageByUrl = async () => {
    if (!editor) return;
    const input = await ask("image", null);
    if (input === null || !input.trim()) return;
    const src = safeImageSrc(input.trim());
    if (!src || !editor.chain().focus().setImage({ src }).run()) {
      setMessage(labels.invalidImageUrl);
      return;
    }
    setMessage(null);
  };

  uploadRef.current = (files: File[], at?: number) => {
    const uploadImage = propsRef.current.onUploadImage;
    if (!editor || !uploadImage) return;
    void (async () => {
      for (const file of files) {
        setUpload({ name: file.name, percent: 0 });
        try {
          const url = await uploadImage(file, (fraction) =>
            setUpload({ name: file.name, percent: Math.max(0, Math.min(100, Math.round(fraction * 100))) }),
          );
          const src = safeImageSrc(url);
          if (!src || editor.isDestroyed) throw new UserFacingError(labels.invalidImageUrl);
          const node = { type: NODE.image, attrs: { src, alt: file.name.replace(/\.[a-z0-9]+$/i, ""), title: null } };
          if (at !== undefined) editor.chain().focus().insertContentAt(at, node).run();
          else editor.chain().focus().insertContent(node).run();
          setMessage(null);
        } catch (error) {
          setMessage(labels.uploadFailed(toUserError(error).message));
        } finally {
          setUpload(null);
        }
      }
    })();
  };

  const onFile = (event: ChangeEvent<HTMLInputElement>) => {
    const files = imageFiles(event.target.files);
    event.target.value = "";
    if (files.length) uploadRef.current(files);
  };

  const disabled = !editor || props.editable === false;
  const run = (fn: (e: TiptapEditor) => void) => () => {
    if (editor) fn(editor);
  };
  const button = (label: string, active: boolean, onClick: () => void, text: string) => (
    <button type="button" aria-label={label} title={label} aria-pressed={active} disabled={disabled} onClick={onClick} data-active={active || undefined}>
      {text}
    </button>
  );

  return (
    <div className={`pressroom-editor${props.className ? ` ${props.className}` : ""}`}>
      <style>{EDITOR_CSS}</style>
      <div role="toolbar" aria-label={labels.toolbar} className="pressroom-editor-toolbar">
        {button(labels.bold, !!state?.bold, run((e) => e.chain().focus().toggleBold().run()), "B")}
        {button(labels.italic, !!state?.italic, run((e) => e.chain().focus().toggleItalic().run()), "I")}
        {button(labels.strike, !!state?.strike, run((e) => e.chain().focus().toggleStrike().run()), "S")}
        {button(labels.code, !!state?.code, run((e) => e.chain().focus().toggleCode().run()), "</>")}
        {button(labels.link, !!state?.link, () => void setLink(), "Link")}
        <select
          aria-label={labels.blockStyle}
          disabled={disabled}
          value={String(state?.heading ?? 0)}
          onChange={(event) => {
            const level = Number(event.target.value);
            if (!editor) return;
            if (level) editor.chain().focus().setHeading({ level: level as (typeof HEADING_LEVELS)[number] }).run();
            else editor.chain().focus().setParagraph().run();
          }}
        >
          <option value="0">{labels.paragraph}</option>
          {HEADING_LEVELS.map((level) => (
            <option key={level} value={String(level)}>
              {labels.heading(level)}
            </option>
          ))}
        </select>
        {button(labels.bulletList, !!state?.bulletList, run((e) => e.chain().focus().toggleBulletList().run()), "• List")}
        {button(labels.orderedList, !!state?.orderedList, run((e) => e.chain().focus().toggleOrderedList().run()), "1. List")}
        {button(labels.blockquote, !!state?.blockquote, run((e) => e.chain().focus().toggleBlockquote().run()), "Quote")}
        {button(labels.codeBlock, !!state?.codeBlock, run((e) => e.chain().focus().toggleCodeBlock().run()), "Code")}
        {button(labels.horizontalRule, false, run((e) => e.chain().focus().setHorizontalRule().run()), "—")}
        {button(labels.imageUrl, false, () => void imageByUrl(), "Image")}
        {props.onUploadImage ? (
          <>
            {button(labels.uploadImage, false, () => fileInput.current?.click(), "Upload")}
            <input ref={fileInput} type="file" accept="image/*" hidden multiple onChange={onFile} />
          </>
        ) : null}
        {props.toolbarEnd}
      </div>
      <div role="status" aria-live="polite" className="pressroom-editor-status">
        {upload ? labels.uploading(upload.name, upload.percent) : message}
      </div>
      {editor ? <EditorContent editor={editor} /> : <div className="ProseMirror" aria-label={labels.body} aria-busy="true" />}
    </div>
  );
}

export default Editor;
