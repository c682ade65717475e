// The server's card memo (issue #18): a memoized card is byte for byte the card React renders, for
// every shape and every field it reads, and a hit renders nothing again.
import { createElement as h } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, test } from "vitest";
import { cardMemoStats, memoizedCard } from "./card-memo.server";
import { CardMemo, PostCardView, type CardShape } from "./cards";
import { testCard, testSite } from "./test-fixtures";
import type { PostCard, SiteData } from "./types";

const site = (extra: Partial<SiteData> = {}) => testSite({}, extra);
const card = testCard;

type Props = { site: SiteData; post: PostCard; headingLevel?: 2 | 3; shape?: CardShape };
const plain = (p: Props) => renderToStaticMarkup(h(PostCardView, p));
const memoized = (p: Props, memo = memoizedCard) => renderToStaticMarkup(h(CardMemo.Provider, { value: memo }, h(PostCardView, p)));

describe("the card memo (card-memo.server.tsx)", () => {
  const variants: Array<[string, Props]> = [
    ["a row", { site: site(), post: card() }],
    ["a tile with a cover", { site: site(), post: card({ coverImageUrl: "https://cdn.test/c.jpg", coverImageAlt: "A chart" }), shape: "tile" }],
    ["a hero", { site: site(), post: card({ coverImageUrl: "https://cdn.test/c.jpg" }), shape: "hero", headingLevel: 3 }],
    ["a tile without a cover (the site's name on the panel)", { site: site(), post: card({ category: null }), shape: "tile" }],
    ["a featured card without author page or tags", { site: site(), post: card({ featured: true, authorSlug: null, tags: [] }) }],
    ["a card on a publication's own host (base '')", { site: site({ base: "" }), post: card() }],
  ];
  test.each(variants)("%s: memoized twice, the same HTML as rendered plainly", (_, props) => {
    expect(memoized(props)).toBe(plain(props));
    expect(memoized(props)).toBe(plain(props));
  });

  test("a hit renders nothing again; any input that changes the card is another entry", () => {
    let renders = 0;
    const counting = (key: string, render: Parameters<typeof memoizedCard>[1]) =>
      memoizedCard(key, () => {
        renders++;
        return render();
      });
    const props: Props = { site: site({ name: `Site ${Math.random()}` }), post: card({ coverImageUrl: null }), shape: "tile" };
    memoized(props, counting);
    memoized(props, counting);
    expect(renders).toBe(1);
    // Each input the card reads makes a different card, so a different entry.
    const others: Props[] = [
      { ...props, site: { ...props.site, name: "Another name" } },
      { ...props, site: { ...props.site, base: "/other" } },
      { ...props, shape: "row" },
      { ...props, headingLevel: 3 },
      { ...props, post: { ...props.post, title: "Retitled" } },
      { ...props, post: { ...props.post, tags: [{ name: "Renamed", slug: "data" }] } },
    ];
    for (const other of others) {
      expect(memoized(other, counting)).toBe(plain(other));
    }
    expect(renders).toBe(1 + others.length);
    expect(cardMemoStats().size).toBeGreaterThanOrEqual(1 + others.length);
  });

  test("XSS: a hostile title, excerpt, tag and category are escaped as text in a memoized card", () => {
    const evil = '<img src=x onerror="alert(1)">';
    const html = memoized({ site: site(), post: card({ title: evil, excerpt: evil, tags: [{ name: evil, slug: "t" }], category: { name: evil, slug: "c" } }) });
    expect(html).not.toContain("<img src=x");
    expect(html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
  });
});
