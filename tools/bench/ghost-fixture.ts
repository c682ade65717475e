// A Ghost 5 JSON export (Settings → Labs → Export: `{ db: [{ meta, data }] }`) generated for the
// migrate bench (tools/bench/migrate.ts, issue #17 "Numbers"): N posts of about W words each, with
// realistic bodies (headings, paragraphs with links and emphasis, bullet and numbered lists, images
// by URL), tags, authors and the posts_tags / posts_authors relations. Every post carries `lexical`
// (Ghost 5's editor format); most carry Ghost's rendered `html` too, and every `htmlNullEvery`-th
// has `html: null`, as exports of never-rendered posts do, so the importer renders lexical itself.
// Deterministic: the same options give the same bytes (a seeded generator, fixed dates).

export interface GhostFixtureOptions {
  posts: number;
  /** Words per post body (about: whole blocks are added until the count is reached). */
  words: number;
  tags: number;
  authors: number;
  /** Every n-th post has `html: null` (0: none). */
  htmlNullEvery: number;
  /** Every n-th post is paid-only (`visibility: "paid"`; 0: none). */
  paidEvery: number;
}

export const DEFAULT_GHOST_FIXTURE: GhostFixtureOptions = { posts: 1000, words: 1500, tags: 50, authors: 10, htmlNullEvery: 10, paidEvery: 7 };

type Inline = { text: string; format?: "bold" | "italic"; href?: string };
type Block =
  | { kind: "heading"; level: 2 | 3; text: string }
  | { kind: "paragraph"; inlines: Inline[] }
  | { kind: "list"; ordered: boolean; items: string[] }
  | { kind: "image"; src: string; alt: string; caption: string };

const VOCAB = (
  "river harbour market council winter budget ferry morning letter village school garden bridge " +
  "library evening station mill orchard meadow archive reader season festival weather coast museum " +
  "street square lantern harvest notebook workshop quiet early across under between around through " +
  "keeps builds opens closes walks writes reads counts carries finds remembers changes measures " +
  "old new small long bright careful patient local public open narrow green grey golden"
).split(" ");

/** A small deterministic generator (mulberry32). */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A Ghost object id: 24 hex digits. */
export function ghostId(kind: number, n: number): string {
  return `${kind.toString(16).padStart(8, "0")}${n.toString(16).padStart(16, "0")}`;
}

function uuid(kind: number, n: number): string {
  const h = `${kind.toString(16).padStart(8, "0")}${n.toString(16).padStart(24, "0")}`;
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function words(r: () => number, n: number): string[] {
  return Array.from({ length: n }, () => VOCAB[Math.floor(r() * VOCAB.length)]!);
}

function sentence(r: () => number, n: number): string {
  const w = words(r, n).join(" ");
  return `${w[0]!.toUpperCase()}${w.slice(1)}.`;
}

/** A post body of about `target` words. */
function body(r: () => number, i: number, target: number): { blocks: Block[]; wordCount: number } {
  const blocks: Block[] = [];
  let count = 0;
  let section = 0;
  while (count < target) {
    const roll = r();
    if (blocks.length > 0 && blocks.length % 6 === 0) {
      const text = sentence(r, 4).slice(0, -1);
      blocks.push({ kind: "heading", level: section++ % 3 === 2 ? 3 : 2, text });
      count += 4;
    } else if (roll < 0.1) {
      const items = Array.from({ length: 3 + Math.floor(r() * 3) }, () => sentence(r, 6));
      blocks.push({ kind: "list", ordered: roll < 0.04, items });
      count += items.length * 6;
    } else if (roll < 0.14) {
      const n = blocks.length;
      blocks.push({ kind: "image", src: `https://images.example.com/bench/${i}/${n}.jpg`, alt: sentence(r, 4), caption: sentence(r, 6) });
      count += 6; // the caption (the alt text is not body text)
    } else {
      const inlines: Inline[] = [];
      for (let s = 0; s < 4; s++) {
        const x = r();
        if (x < 0.15) {
          inlines.push({ text: words(r, 3).join(" "), href: `https://example.org/${i}/${blocks.length}/${s}` });
          count += 3;
        } else if (x < 0.25) {
          inlines.push({ text: words(r, 2).join(" "), format: x < 0.2 ? "bold" : "italic" });
          count += 2;
        }
        inlines.push({ text: ` ${sentence(r, 16)} ` });
        count += 16;
      }
      blocks.push({ kind: "paragraph", inlines });
    }
  }
  return { blocks, wordCount: count };
}

function inlineHtml(x: Inline): string {
  const t = escapeHtml(x.text);
  if (x.href) return `<a href="${escapeHtml(x.href)}">${t}</a>`;
  if (x.format === "bold") return `<strong>${t}</strong>`;
  if (x.format === "italic") return `<em>${t}</em>`;
  return t;
}

/** Ghost's rendered HTML (its Koenig output shape for images). */
export function blocksToHtml(blocks: Block[]): string {
  return blocks
    .map((b) => {
      switch (b.kind) {
        case "heading":
          return `<h${b.level} id="${b.text.toLowerCase().replace(/[^a-z0-9]+/g, "-")}">${escapeHtml(b.text)}</h${b.level}>`;
        case "paragraph":
          return `<p>${b.inlines.map(inlineHtml).join("")}</p>`;
        case "list": {
          const tag = b.ordered ? "ol" : "ul";
          return `<${tag}>${b.items.map((t) => `<li>${escapeHtml(t)}</li>`).join("")}</${tag}>`;
        }
        case "image":
          return `<figure class="kg-card kg-image-card kg-card-hascaption"><img src="${escapeHtml(b.src)}" class="kg-image" alt="${escapeHtml(b.alt)}" loading="lazy"><figcaption>${escapeHtml(b.caption)}</figcaption></figure>`;
      }
    })
    .join("");
}

const textNode = (text: string, format = 0) => ({ detail: 0, format, mode: "normal", style: "", text, type: "extended-text", version: 1 });
const element = (type: string, children: unknown[], extra: Record<string, unknown> = {}) => ({ children, direction: "ltr", format: "", indent: 0, type, version: 1, ...extra });

function inlineLexical(x: Inline): unknown {
  if (x.href) return element("link", [textNode(x.text)], { rel: null, target: null, title: null, url: x.href });
  return textNode(x.text, x.format === "bold" ? 1 : x.format === "italic" ? 2 : 0);
}

/** The same body as Ghost 5's lexical JSON. */
export function blocksToLexical(blocks: Block[]): string {
  const children = blocks.map((b) => {
    switch (b.kind) {
      case "heading":
        return element("extended-heading", [textNode(b.text)], { tag: `h${b.level}` });
      case "paragraph":
        return element("paragraph", b.inlines.map(inlineLexical));
      case "list":
        return element(
          "list",
          b.items.map((t, n) => element("listitem", [textNode(t)], { value: n + 1 })),
          { listType: b.ordered ? "number" : "bullet", start: 1, tag: b.ordered ? "ol" : "ul" },
        );
      case "image":
        return { type: "image", version: 1, src: b.src, width: 1600, height: 900, title: "", alt: b.alt, caption: b.caption, cardWidth: "regular", href: "" };
    }
  });
  return JSON.stringify({ root: element("root", children) });
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The export as an object (`{ db: [{ meta, data }] }`). */
export function ghostFixture(options: Partial<GhostFixtureOptions> = {}) {
  const o = { ...DEFAULT_GHOST_FIXTURE, ...options };
  const r = rng(17);
  const base = Date.UTC(2021, 0, 4, 9, 0, 0);
  const DAY = 86_400_000;
  const users = Array.from({ length: o.authors }, (_, a) => ({
    id: ghostId(1, a + 1),
    name: `Author ${String.fromCharCode(65 + (a % 26))}${a >= 26 ? a : ""} Writer`,
    slug: `author-${a + 1}`,
    email: `author${a + 1}@ghost-bench.example`,
    profile_image: `https://images.example.com/authors/${a + 1}.jpg`,
    cover_image: null,
    bio: sentence(r, 12),
    website: `https://author${a + 1}.example`,
    location: "Harbour Town",
    facebook: null,
    twitter: null,
    accessibility: null,
    status: "active",
    locale: null,
    visibility: "public",
    meta_title: null,
    meta_description: null,
    tour: null,
    last_seen: iso(base),
    created_at: iso(base - 30 * DAY),
    updated_at: iso(base - 30 * DAY),
  }));
  const tags = Array.from({ length: o.tags }, (_, t) => ({
    id: ghostId(2, t + 1),
    name: `Topic ${t + 1} ${VOCAB[t % VOCAB.length]}`,
    slug: `topic-${t + 1}-${VOCAB[t % VOCAB.length]}`,
    description: sentence(r, 8),
    feature_image: null,
    parent_id: null,
    visibility: "public",
    og_image: null,
    meta_title: null,
    meta_description: null,
    accent_color: null,
    created_at: iso(base - 20 * DAY),
    updated_at: iso(base - 20 * DAY),
  }));
  const posts: Record<string, unknown>[] = [];
  const postsTags: Record<string, unknown>[] = [];
  const postsAuthors: Record<string, unknown>[] = [];
  for (let i = 0; i < o.posts; i++) {
    const { blocks } = body(r, i, o.words);
    const title = `${sentence(r, 5).slice(0, -1)} (${i + 1})`;
    const published = base + i * (DAY / 4);
    const html = o.htmlNullEvery > 0 && (i + 1) % o.htmlNullEvery === 0 ? null : blocksToHtml(blocks);
    posts.push({
      id: ghostId(3, i + 1),
      uuid: uuid(3, i + 1),
      title,
      slug: `bench-post-${i + 1}`,
      mobiledoc: null,
      lexical: blocksToLexical(blocks),
      html,
      comment_id: ghostId(3, i + 1),
      plaintext: null,
      feature_image: i % 3 === 0 ? `https://images.example.com/covers/${i + 1}.jpg` : null,
      featured: i % 25 === 0,
      type: "post",
      status: "published",
      locale: null,
      visibility: o.paidEvery > 0 && (i + 1) % o.paidEvery === 0 ? "paid" : "public",
      email_recipient_filter: "all",
      created_at: iso(published - 3_600_000),
      updated_at: iso(published + 3_600_000),
      published_at: iso(published),
      custom_excerpt: i % 2 === 0 ? sentence(r, 14) : null,
      codeinjection_head: null,
      codeinjection_foot: null,
      custom_template: null,
      canonical_url: null,
      newsletter_id: null,
      show_title_and_feature_image: true,
    });
    const tagCount = 1 + (i % 3);
    for (let k = 0; k < tagCount; k++) {
      postsTags.push({ id: ghostId(4, i * 4 + k + 1), post_id: ghostId(3, i + 1), tag_id: tags[(i * 7 + k * 13) % o.tags]!.id, sort_order: k });
    }
    postsAuthors.push({ id: ghostId(5, i + 1), post_id: ghostId(3, i + 1), author_id: users[i % o.authors]!.id, sort_order: 0 });
  }
  return {
    db: [
      {
        meta: { exported_on: base + o.posts * (DAY / 4), version: "5.82.0" },
        data: {
          posts,
          posts_meta: [],
          tags,
          posts_tags: postsTags,
          users,
          posts_authors: postsAuthors,
          roles: [{ id: ghostId(6, 1), name: "Author", description: "Authors", created_at: iso(base), updated_at: iso(base) }],
          roles_users: users.map((u, n) => ({ id: ghostId(7, n + 1), role_id: ghostId(6, 1), user_id: u.id })),
          settings: [{ id: ghostId(8, 1), group: "site", key: "title", value: "Ghost Bench Gazette", type: "string" }],
          newsletters: [],
          products: [],
        },
      },
    ],
  };
}

/** The export as the bytes Ghost writes (one JSON file). */
export function ghostFixtureBytes(options: Partial<GhostFixtureOptions> = {}): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(JSON.stringify(ghostFixture(options))) as Uint8Array<ArrayBuffer>;
}
