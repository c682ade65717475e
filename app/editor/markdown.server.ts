// Server side of the Markdown converter (app/editor/markdown.ts): one long-lived happy-dom Window
// parses the HTML that docToMarkdown's read-back check produces. @tiptap/html/server's generateJSON
// (the fallback) builds a Window and a schema per call and closes the Window on a later macrotask;
// for a 1,000-post Markdown export that was most of the time and the garbage. Same DOM
// implementation and wrapping as generateJSON, so the documents (and the Markdown) are identical.
import { Window } from "happy-dom";
import { registerServerHtmlParser } from "./markdown";

const window = new Window({
  settings: {
    disableJavaScriptEvaluation: true,
    disableJavaScriptFileLoading: true,
    disableCSSFileLoading: true,
    disableIframePageLoading: true,
    disableComputedStyleRendering: true,
  },
});
const parser = new window.DOMParser();

registerServerHtmlParser((html) => parser.parseFromString(`<!DOCTYPE html><html><body>${html}</body></html>`, "text/html").body as unknown as Node);
