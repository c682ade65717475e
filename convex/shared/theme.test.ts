import { describe, expect, test } from "vitest";
import { FIELDS } from "./fields";
import {
  COLOR_SCHEMES,
  FONT_PAIR_IDS,
  FONT_PAIRS,
  HOME_LAYOUTS,
  MAX_NAV_LINKS,
  NAV_LABEL_MAX,
  NAV_URL_MAX,
  navLinkFieldProblem,
  navLinkHref,
  navLinkProblem,
  resolveTheme,
  THEME_DEFAULTS,
  THEME_IDS,
  themeFromParams,
  themeToParams,
  type ResolvedTheme,
} from "./theme";

describe("resolveTheme", () => {
  test("a site that never chose gets the classic theme and its defaults", () => {
    const classic = { theme: "classic", fontPair: "editorial", homeLayout: "list", colorScheme: "auto", navLinks: [] };
    expect(resolveTheme(undefined)).toEqual(classic);
    expect(resolveTheme(null)).toEqual(classic);
    expect(resolveTheme({})).toEqual(classic);
  });

  test("each theme's defaults fill what the site left out; a choice wins over the default", () => {
    expect(resolveTheme({ theme: "magazine" })).toEqual({ theme: "magazine", ...THEME_DEFAULTS.magazine, navLinks: [] });
    expect(resolveTheme({ theme: "magazine", homeLayout: "list", fontPair: "system", colorScheme: "dark" })).toEqual({
      theme: "magazine",
      fontPair: "system",
      homeLayout: "list",
      colorScheme: "dark",
      navLinks: [],
    });
  });

  test("unknown stored values (a removed font pair, a forged theme) fall back instead of reaching readers", () => {
    const r = resolveTheme({ theme: "brutalist", fontPair: "comic", homeLayout: "carousel", colorScheme: "sepia" } as never);
    expect(r).toEqual({ theme: "classic", ...THEME_DEFAULTS.classic, navLinks: [] });
  });

  test("XSS: refused navigation links are dropped, and at most MAX_NAV_LINKS are kept", () => {
    const links = [{ label: "Evil", url: "javascript:alert(1)" }, ...Array.from({ length: MAX_NAV_LINKS + 2 }, (_, i) => ({ label: `L${i}`, url: `/l${i}` }))];
    const r = resolveTheme({ navLinks: links });
    expect(r.navLinks).toHaveLength(MAX_NAV_LINKS);
    expect(r.navLinks[0]).toEqual({ label: "L0", url: "/l0" });
  });

  test("every font pair, layout and scheme is reachable, and every pair names its CSS and packages", () => {
    for (const id of FONT_PAIR_IDS) {
      expect(resolveTheme({ fontPair: id }).fontPair).toBe(id);
      expect(FONT_PAIRS[id].heading).toMatch(/sans-serif|serif/);
      for (const pkg of FONT_PAIRS[id].packages) expect(pkg).toMatch(/^@fontsource-variable\//);
    }
    for (const layout of HOME_LAYOUTS) expect(resolveTheme({ homeLayout: layout }).homeLayout).toBe(layout);
    for (const scheme of COLOR_SCHEMES) expect(resolveTheme({ colorScheme: scheme }).colorScheme).toBe(scheme);
    for (const theme of THEME_IDS) expect(resolveTheme({ theme }).theme).toBe(theme);
  });
});

describe("navLinkProblem", () => {
  const ok = (url: string, label = "Link") => expect(navLinkProblem({ label, url }), url).toBeNull();
  const refusedUrl = (url: string) => expect(navLinkFieldProblem({ label: "Link", url }), url).toMatchObject({ part: "url" });

  test("site paths and http(s) addresses are accepted", () => {
    ok("/");
    ok("/about");
    ok("/tag/news?x=1#top");
    ok("https://example.com/shop");
    ok("http://example.com");
    ok("  /about  ");
  });

  test("open redirect: protocol-relative and backslash paths are refused", () => {
    refusedUrl("//evil.com");
    refusedUrl("//evil.com/about");
    refusedUrl("/\\evil.com");
    refusedUrl("/ about");
  });

  test("XSS: javascript:, data: and other schemes are refused, however they are spelled", () => {
    refusedUrl("javascript:alert(1)");
    refusedUrl("JAVASCRIPT:alert(1)");
    refusedUrl(" javascript:alert(1)");
    refusedUrl("java\nscript:alert(1)");
    refusedUrl("data:text/html,<script>alert(1)</script>");
    refusedUrl("vbscript:msgbox(1)");
    refusedUrl("mailto:someone@example.com");
    refusedUrl("about");
  });

  test("labels and addresses follow the FIELDS rules (required, lengths)", () => {
    expect(NAV_LABEL_MAX).toBe(FIELDS.navLinkLabel.max);
    expect(NAV_URL_MAX).toBe(FIELDS.navLinkUrl.max);
    expect(navLinkFieldProblem({ label: "  ", url: "/about" })).toEqual({ part: "label", message: "Give the link a label." });
    expect(navLinkFieldProblem({ label: "x".repeat(NAV_LABEL_MAX + 1), url: "/about" })).toEqual({ part: "label", message: "Labels have at most 40 characters." });
    ok("/about", "x".repeat(NAV_LABEL_MAX));
    expect(navLinkFieldProblem({ label: "About", url: "" })).toEqual({ part: "url", message: "Give the link an address." });
    ok(`/${"a".repeat(NAV_URL_MAX - 1)}`);
    expect(navLinkFieldProblem({ label: "About", url: `/${"a".repeat(NAV_URL_MAX)}` })).toEqual({ part: "url", message: "Addresses have at most 500 characters." });
  });
});

describe("navLinkHref", () => {
  test("site paths get the site's base; absolute addresses are left alone", () => {
    expect(navLinkHref({ label: "A", url: "/about" }, "/daily")).toBe("/daily/about");
    expect(navLinkHref({ label: "A", url: "/" }, "/daily")).toBe("/daily");
    expect(navLinkHref({ label: "A", url: "/" }, "")).toBe("/");
    expect(navLinkHref({ label: "A", url: "/about" }, "")).toBe("/about");
    expect(navLinkHref({ label: "A", url: "https://x.example/" }, "/daily")).toBe("https://x.example/");
  });
});

describe("themeToParams / themeFromParams", () => {
  test("round trip: themeFromParams(themeToParams(x)) equals x", () => {
    const themes: Array<ResolvedTheme & { accentColor: string | null }> = [
      { theme: "classic", fontPair: "editorial", homeLayout: "list", colorScheme: "auto", navLinks: [], accentColor: null },
      {
        theme: "magazine",
        fontPair: "grotesk",
        homeLayout: "grid",
        colorScheme: "dark",
        navLinks: [
          { label: "About us", url: "/about" },
          { label: "Shop & more", url: "https://shop.example.com/?a=1&b=2" },
        ],
        accentColor: "#1a73e8",
      },
    ];
    for (const x of themes) expect(themeFromParams(new URLSearchParams(themeToParams(x).toString()))).toEqual(x);
  });

  test("the Design form's own field names work too (its Preview button is a plain GET without JavaScript)", () => {
    const p = new URLSearchParams("theme=magazine&fontPair=classic&homeLayout=grid&colorScheme=light&accentColor=%23aa3300");
    for (const [label, url] of [["About", "/about"], ["", ""], ["Shop", "https://shop.example.com/"]]) {
      p.append("navLabel", label);
      p.append("navUrl", url);
    }
    expect(themeFromParams(p)).toEqual({
      theme: "magazine",
      fontPair: "classic",
      homeLayout: "grid",
      colorScheme: "light",
      navLinks: [
        { label: "About", url: "/about" },
        { label: "Shop", url: "https://shop.example.com/" },
      ],
      accentColor: "#aa3300",
    });
  });

  test("forged parameters fall back: unknown choices, a bad colour, a javascript: link", () => {
    const p = new URLSearchParams({ theme: "x", fontPair: "y", homeLayout: "z", colorScheme: "w", accent: "red;background:url(x)" });
    p.append("nav", "Evil\njavascript:alert(1)");
    p.append("nav", "no address");
    expect(themeFromParams(p)).toEqual({ ...resolveTheme({}), accentColor: null });
  });
});
