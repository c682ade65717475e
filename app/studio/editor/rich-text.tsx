// The studio's rich-text editor, split off (issue #16 budgets): TipTap's React editor, the editor UI
// and its paste/Markdown code load as their own chunk when an editor page renders, not with the
// route. The server renders it in the same response (React waits for the lazy module); in the
// browser the server's HTML stays until the chunk arrives, then hydrates.
import { lazy, Suspense } from "react";

export interface EditorHandle {
  /** The document now, as JSON text. */
  getDoc: () => string;
  /** Replaces the document; no change is reported (it is not the writer's edit). */
  setDoc: (docJson: string) => void;
  focus: () => void;
}

export interface RichTextEditorProps {
  initialDoc: string;
  editable: boolean;
  onChange: (docJson: string) => void;
  onReady: (handle: EditorHandle | null) => void;
  /** Uploads an image (toolbar, paste or drop) and returns its URL. */
  onUploadImage?: (file: File, onProgress: (fraction: number) => void) => Promise<string>;
}

const LazyRichTextEditor = lazy(() => import("./rich-text-editor"));

export function RichTextEditor(props: RichTextEditorProps) {
  return (
    <Suspense
      fallback={
        // What the editor shows before it is created (app/editor/Editor.tsx): a busy body, same size.
        <div className="pressroom-editor st-rich-text">
          <div className="ProseMirror" aria-label="Post body" aria-busy="true" />
        </div>
      }
    >
      <LazyRichTextEditor {...props} />
    </Suspense>
  );
}
