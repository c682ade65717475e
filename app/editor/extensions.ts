// The ONE list of TipTap extensions behind Pressroom documents: the studio editor, the reader's
// server renderer (render.ts) and the Markdown/HTML importers (markdown.ts) all build their schema
// from `editorExtensions()`, so a document that one of them accepts, the others understand.
//
// @tiptap/core, @tiptap/starter-kit and @tiptap/extension-link are used (no separate Image or
// Placeholder package): StarterKit 3 bundles CodeBlock (configured here); Link is StarterKit's own
// extension, added here so its mark can be made non-inclusive; the Image node is a minimal
// `Node.create`, and the placeholder is a small decoration plugin.

import { Extension, Node, mergeAttributes, type AnyExtension, type JSONContent } from "@tiptap/core";
import { Plugin, PluginKey } from "@tiptap/pm/state";
import { Decoration, DecorationSet } from "@tiptap/pm/view";
import { Link } from "@tiptap/extension-link";
import { StarterKit } from "@tiptap/starter-kit";
import { safeImageSrc, safeLanguage, safeLinkHref } from "./urls";

/** Node type names of the schema (what `type` a stored node may have). */
export const NODE = {
  doc: "doc",
  paragraph: "paragraph",
  text: "text",
  heading: "heading",
  blockquote: "blockquote",
  codeBlock: "codeBlock",
  bulletList: "bulletList",
  orderedList: "orderedList",
  listItem: "listItem",
  hardBreak: "hardBreak",
  horizontalRule: "horizontalRule",
  image: "image",
} as const;
export type NodeName = (typeof NODE)[keyof typeof NODE];

/** Mark type names of the schema. */
export const MARK = {
  bold: "bold",
  italic: "italic",
  strike: "strike",
  code: "code",
  link: "link",
} as const;
export type MarkName = (typeof MARK)[keyof typeof MARK];

export const HEADING_LEVELS = [1, 2, 3, 4] as const;
export type HeadingLevel = (typeof HEADING_LEVELS)[number];

/** Nodes that may stand where the schema expects a block (`block` group). */
export const BLOCK_NODES: ReadonlySet<string> = new Set([
  NODE.paragraph,
  NODE.heading,
  NODE.blockquote,
  NODE.codeBlock,
  NODE.bulletList,
  NODE.orderedList,
  NODE.horizontalRule,
  NODE.image,
]);
/** Nodes that may stand inside a paragraph or heading. */
export const INLINE_NODES: ReadonlySet<string> = new Set([NODE.text, NODE.hardBreak]);

declare module "@tiptap/core" {
  interface Commands<ReturnType> {
    image: {
      /** Inserts an image block. Refused (returns false) when the src is not an allowed URL. */
      setImage: (attrs: { src: string; alt?: string | null; title?: string | null }) => ReturnType;
    };
  }
}

/**
 * A block image: `src` (http(s) or our storage), `alt`, `title`. Anything else a pasted `<img>`
 * carries (width, style, onerror, srcset, …) is not an attribute of the node, so it never gets in.
 */
export const Image = Node.create({
  name: NODE.image,
  group: "block",
  atom: true,
  draggable: true,
  selectable: true,

  addAttributes() {
    return {
      src: { default: null, parseHTML: (el) => safeImageSrc(el.getAttribute("src")) },
      alt: { default: null, parseHTML: (el) => el.getAttribute("alt") || null },
      title: { default: null, parseHTML: (el) => el.getAttribute("title") || null },
    };
  },

  parseHTML() {
    return [{ tag: "img[src]", getAttrs: (el) => (safeImageSrc((el as HTMLElement).getAttribute("src")) ? null : false) }];
  },

  renderHTML({ HTMLAttributes }) {
    return ["img", mergeAttributes({ ...HTMLAttributes, src: safeImageSrc(HTMLAttributes.src) })];
  },

  addCommands() {
    return {
      setImage:
        (attrs) =>
        ({ commands }) => {
          const src = safeImageSrc(attrs.src);
          if (!src) return false;
          return commands.insertContent({ type: this.name, attrs: { src, alt: attrs.alt || null, title: attrs.title || null } });
        },
    };
  },
});

export interface PlaceholderOptions {
  placeholder: string;
}

/**
 * Shows `placeholder` in an empty document: the first (empty) paragraph gets the class
 * `is-editor-empty` and a `data-placeholder` attribute; EDITOR_CSS draws it with `::before`.
 */
export const Placeholder = Extension.create<PlaceholderOptions>({
  name: "placeholder",
  addOptions() {
    return { placeholder: "" };
  },
  addProseMirrorPlugins() {
    const text = () => this.options.placeholder;
    return [
      new Plugin({
        key: new PluginKey("pressroomPlaceholder"),
        props: {
          decorations: ({ doc }) => {
            const first = doc.firstChild;
            const empty = doc.childCount === 1 && first?.type.name === NODE.paragraph && first.content.size === 0;
            if (!empty || !first || !text()) return DecorationSet.empty;
            return DecorationSet.create(doc, [
              Decoration.node(0, first.nodeSize, { class: "is-editor-empty", "data-placeholder": text() }),
            ]);
          },
        },
      }),
    ];
  },
});

/** Styles the editor needs besides the studio's own: the placeholder. */
export const EDITOR_CSS = `.pressroom-editor .ProseMirror p.is-editor-empty:first-child::before{content:attr(data-placeholder);float:left;height:0;pointer-events:none;color:#6b7280}
.pressroom-editor .ProseMirror img{max-width:100%;height:auto}
.pressroom-editor .ProseMirror img.ProseMirror-selectednode{outline:2px solid #2563eb}`;

export interface EditorExtensionOptions {
  /** Placeholder text of an empty document (editor only; no effect on rendering). */
  placeholder?: string;
}

/**
 * The extensions of Pressroom documents. Call it for each editor / converter (extensions carry
 * per-instance options), always with the same schema.
 */
export function editorExtensions(options: EditorExtensionOptions = {}): AnyExtension[] {
  return [
    StarterKit.configure({
      heading: { levels: [...HEADING_LEVELS] },
      // Not representable in Markdown, so not part of the schema (pasted <u> keeps its text).
      underline: false,
      codeBlock: {
        languageClassPrefix: "language-",
        defaultLanguage: null,
        HTMLAttributes: {},
      },
      link: false, // added below, non-inclusive
    }),
    // Text typed at the end of a link is not part of it (TipTap makes the mark inclusive while
    // autolink is on). Link's priority (1000) keeps its place in the schema's mark order, so
    // stored documents and rendered HTML are unchanged.
    Link.extend({ inclusive: () => false }).configure({
      openOnClick: false,
      autolink: true,
      linkOnPaste: true,
      markdownLinks: true,
      defaultProtocol: "https",
      protocols: [],
      // Stored links carry no rel/target/class: the reader renderer adds rel to external links.
      HTMLAttributes: { target: null, rel: null, class: null },
      isAllowedUri: (url) => !!safeLinkHref(url),
    }),
    Image,
    Placeholder.configure({ placeholder: options.placeholder ?? "" }),
  ];
}

/** An empty document, as the editor creates it. */
export const EMPTY_DOC: JSONContent = { type: NODE.doc, content: [{ type: NODE.paragraph }] };

export { safeImageSrc, safeLanguage, safeLinkHref };
