import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, test } from "vitest";
import { PublicationList, type Featured } from "./platform-home";

// The platform home's list as the server renders it. The browser tests run against a stack seeded
// with the demo publications, so the empty state is checked here.

const site = (over: Partial<Featured> = {}): Featured => ({
  name: "Harbor <News>",
  slug: "harbor",
  description: "Tides & ships.",
  accentColor: "#0b5cad",
  logoUrl: null,
  posts: [{ title: "Low <b>tide</b>", slug: "low-tide", publishedAt: Date.UTC(2026, 0, 5) }],
  ...over,
});

describe("platform home: publication list", () => {
  test("no publications: the empty state, no list", () => {
    const html = renderToStaticMarkup(createElement(PublicationList, { list: [] }));
    expect(html).toContain('data-testid="directory-empty"');
    expect(html).toContain("No publications yet.");
    expect(html).not.toContain('data-testid="directory"');
  });

  test("a card links home, shows initials without a logo and the logo with one, and lists the latest posts", () => {
    const html = renderToStaticMarkup(createElement(PublicationList, { list: [site(), site({ slug: "quay", name: "Quay", logoUrl: "https://cdn.example/logo.png", posts: [] })] }));
    expect(html).toContain('href="/harbor/"');
    expect(html).toContain('href="/harbor/low-tide"');
    expect(html).toContain('class="pub-card__initials"');
    expect(html).toContain('src="https://cdn.example/logo.png"');
    expect(html).toContain("No posts yet.");
  });

  test("XSS: publication names, descriptions and post titles are escaped as text", () => {
    const html = renderToStaticMarkup(createElement(PublicationList, { list: [site()] }));
    expect(html).toContain("Harbor &lt;News&gt;");
    expect(html).toContain("Low &lt;b&gt;tide&lt;/b&gt;");
    expect(html).not.toContain("<b>tide</b>");
  });
});
