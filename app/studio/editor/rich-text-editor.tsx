// The studio's use of the shared editor (app/editor/Editor.tsx), loaded lazily by ./rich-text.tsx
// (TipTap's React editor is the studio's heaviest code; the posts list never loads it). The page
// gets a small handle to replace the document without it counting as an edit (loading a newer
// version, taking "theirs" in a conflict, restoring a revision or a backup).
import type { Editor as TiptapEditor } from "@tiptap/react";
import { useRef } from "react";
import { emptyDoc, parseDocText, stringifyDoc } from "../../editor/doc";
import { Editor } from "../../editor/Editor";
import type { EditorHandle, RichTextEditorProps } from "./rich-text";

function handleFor(editor: TiptapEditor): EditorHandle {
  return {
    getDoc: () => stringifyDoc(editor.getJSON()),
    setDoc: (docJson) => {
      if (editor.isDestroyed) return;
      if (stringifyDoc(editor.getJSON()) === docJson) return;
      editor.commands.setContent(parseDocText(docJson) ?? emptyDoc(), { emitUpdate: false });
    },
    focus: () => {
      if (!editor.isDestroyed) editor.commands.focus();
    },
  };
}

export default function RichTextEditor({ initialDoc, editable, onChange, onReady, onUploadImage }: RichTextEditorProps) {
  // The editor keeps its first callbacks: go through refs so the latest ones run.
  const changeRef = useRef(onChange);
  changeRef.current = onChange;
  const readyRef = useRef(onReady);
  readyRef.current = onReady;
  return (
    <Editor
      className="st-rich-text"
      initialDoc={initialDoc}
      editable={editable}
      placeholder="Write your post…"
      onChange={(doc) => changeRef.current(doc)}
      onEditor={(editor) => readyRef.current(editor ? handleFor(editor) : null)}
      onUploadImage={onUploadImage}
    />
  );
}
