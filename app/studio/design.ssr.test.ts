import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, test } from "vitest";
import { FIELDS } from "../../convex/shared/fields";
import { MAX_NAV_LINKS } from "../../convex/shared/theme";
import { BLANK_NAV_ROWS, ImageField, NavLinksEditor, ThemeCards } from "./design";

// Studio → Design's pieces as the server renders them, i.e. what a browser without JavaScript gets:
// every control is a named form field, and rows can be added through blank rows.

const count = (html: string, needle: string) => html.split(needle).length - 1;

describe("Design form without JavaScript", () => {
  test("theme cards are labelled radio buttons with the saved theme checked", () => {
    const html = renderToStaticMarkup(createElement(ThemeCards, { value: "magazine" }));
    expect(count(html, 'type="radio" name="theme"')).toBe(2);
    expect(html).toContain('<input type="radio" name="theme" checked="" value="magazine"/>');
    expect(html).toContain('<input type="radio" name="theme" value="classic"/>');
    expect(html).toContain("Classic");
    expect(html).toContain("Magazine");
    expect(html).toContain("<legend>Theme</legend>");
  });

  test("navigation rows: the saved links, then blank rows to add one; no script-only buttons; errors on their row", () => {
    const links = [{ label: "About", url: "/about" }];
    const html = renderToStaticMarkup(createElement(NavLinksEditor, { links, errors: { "navLinks.1.url": "Give the link an address." } }));
    expect(count(html, 'name="navLabel"')).toBe(1 + BLANK_NAV_ROWS);
    expect(count(html, 'name="navUrl"')).toBe(1 + BLANK_NAV_ROWS);
    expect(html).toContain('value="About"');
    expect(html).toContain(`maxLength="${FIELDS.navLinkLabel.max}"`);
    expect(html).toContain(`maxLength="${FIELDS.navLinkUrl.max}"`);
    expect(html).not.toContain("Remove");
    expect(html).not.toContain("Add link");
    // The error sits on the second row's address, which says so to assistive technology.
    expect(html).toMatch(/id="nav-url-1"[^>]*aria-invalid="true"[^>]*aria-describedby="nav-url-1-error"/);
    expect(html).toContain('id="nav-url-1-error" class="st-error" role="alert">Give the link an address.');
  });

  test("never more rows than MAX_NAV_LINKS when the saved links fill it", () => {
    const links = Array.from({ length: MAX_NAV_LINKS }, (_, i) => ({ label: `L${i}`, url: `/l${i}` }));
    const html = renderToStaticMarkup(createElement(NavLinksEditor, { links, errors: {} }));
    expect(count(html, 'name="navLabel"')).toBe(MAX_NAV_LINKS);
  });

  test("an image field posts a file, and offers removal only when there is an image", () => {
    const empty = renderToStaticMarkup(createElement(ImageField, { name: "cover", label: "Cover image", url: null, accept: "image/png", hint: "PNG" }));
    expect(empty).toContain('name="cover" type="file"');
    expect(empty).not.toContain("remove-cover");
    const set = renderToStaticMarkup(createElement(ImageField, { name: "logo", label: "Logo", url: "https://x/logo.png", accept: "image/png", hint: "PNG" }));
    expect(set).toContain('name="remove-logo"');
    expect(set).toContain('alt="Current logo"');
  });
});
