"use node";

// A real HTML parser for the import parsers (happy-dom, which @tiptap/html/server also uses), with
// everything that could run or fetch turned off: the export's HTML is only read, never executed.
import { Window } from "happy-dom";

type HtmlDocument = ReturnType<InstanceType<typeof Window>["DOMParser"]["prototype"]["parseFromString"]>;

export interface HtmlReader {
  /** Parses a whole HTML document. */
  parse(html: string): HtmlDocument;
  /** The text an HTML fragment shows (entities decoded, tags dropped). */
  text(fragment: string): string;
  /** Plain text with HTML entities in it ("Q&amp;A") decoded; a "<" stays a "<". */
  entities(s: string): string;
}

/** Runs `fn` with one parser window, closed afterwards (one window serves a whole export). */
export function withHtmlReader<T>(fn: (reader: HtmlReader) => T): T {
  const window = new Window({
    settings: {
      disableJavaScriptEvaluation: true,
      disableJavaScriptFileLoading: true,
      disableCSSFileLoading: true,
      disableIframePageLoading: true,
      disableComputedStyleRendering: true,
      navigation: { disableMainFrameNavigation: true, disableChildFrameNavigation: true, disableChildPageNavigation: true },
    },
  });
  const parser = new window.DOMParser();
  // A <template> parses a fragment without running or loading anything, and drops nothing but tags.
  const template = window.document.createElement("template");
  try {
    return fn({
      parse: (html) => parser.parseFromString(html, "text/html"),
      text: (fragment) => {
        if (!/[<&]/.test(fragment)) return fragment;
        template.innerHTML = fragment;
        return template.content.textContent ?? "";
      },
      entities: (s) => {
        if (!s.includes("&")) return s;
        template.innerHTML = s.replace(/</g, "&lt;");
        return template.content.textContent ?? "";
      },
    });
  } finally {
    void window.happyDOM.abort();
    void window.happyDOM.close();
  }
}
