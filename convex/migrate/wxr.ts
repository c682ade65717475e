// WordPress's export (WXR 1.x: RSS 2.0 with the wp:, content:, excerpt: and dc: namespaces) →
// ParsedExport (issue #17). Parsed with fast-xml-parser with entity processing off, after refusing
// any DOCTYPE or ENTITY declaration outside CDATA: no external entity is ever resolved (XXE) and no
// entity is expanded (billion laughs). The five XML entities and character references are decoded
// here, once, in text nodes only; CDATA is kept exactly. content:encoded is passed through as
// WordPress wrote it (Gutenberg comments, shortcodes, wpautop line breaks): html.ts (P3) converts it.

import { XMLParser, XMLValidator } from "fast-xml-parser";
import {
  ImportFileError,
  MAX_IMPORT_POSTS,
  type ImportedAuthor,
  type ImportedPost,
  type ImportedStatus,
  type ImportedTerm,
  type ItemProblem,
  type ParsedExport,
} from "./types";

export const DTD_REFUSED = "The file contains a DOCTYPE/entity declarations, which are not allowed.";

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === "object" && v !== null && !Array.isArray(v);
const CDATA = "__cdata";

/** Refuses a DOCTYPE or ENTITY declaration anywhere outside CDATA sections and comments. */
function refuseDeclarations(xml: string): void {
  const token = /<!\[CDATA\[|<!--|<!(?:DOCTYPE|ENTITY)/gi;
  for (let m = token.exec(xml); m; m = token.exec(xml)) {
    if (m[0] === "<![CDATA[" || m[0] === "<!--") {
      const end = xml.indexOf(m[0] === "<!--" ? "-->" : "]]>", token.lastIndex);
      if (end < 0) return; // unterminated: the validator reports it
      token.lastIndex = end + 3;
    } else {
      throw new ImportFileError(DTD_REFUSED);
    }
  }
}

const XML_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** The predefined XML entities and character references → characters (one pass, never recursive). */
function decodeXmlText(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(/&(?:#(\d{1,7})|#x([0-9a-f]{1,6})|(amp|lt|gt|quot|apos));/gi, (whole, dec: string, hex: string, name: string) => {
    if (name) return XML_ENTITIES[name.toLowerCase()] ?? whole;
    const code = dec ? Number(dec) : parseInt(hex, 16);
    return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : whole;
  });
}

/**
 * An element's text: its decoded text plus its CDATA sections as they are (HTML bodies). For the
 * plain-text fields (titles, names, excerpts), WordPress stores entities in CDATA too ("Fish &amp;
 * Chips"): `plainText` decodes each CDATA section once as well. The result is text, never markup.
 */
function text(value: unknown, plainText = false): string {
  if (typeof value === "string") return decodeXmlText(value);
  if (!isNode(value)) return "";
  const cdata = value[CDATA];
  const raw = Array.isArray(cdata) ? cdata.map(String).join("") : typeof cdata === "string" ? cdata : "";
  const plain = typeof value["#text"] === "string" ? decodeXmlText(value["#text"]) : "";
  return (plain.trim() ? plain : "") + (plainText ? decodeXmlText(raw) : raw);
}
/** A plain-text field, trimmed. */
const plain = (value: unknown): string => text(value, true).trim();
const list = (value: unknown): Node[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter(isNode);
const attr = (node: Node, name: string): string => (typeof node[`@_${name}`] === "string" ? decodeXmlText(node[`@_${name}`] as string) : "");

const ARRAYS = new Set(["item", "wp:author", "wp:category", "wp:tag", "category", "wp:postmeta"]);

function parseXml(xml: string): Node {
  const valid = XMLValidator.validate(xml, { allowBooleanAttributes: true });
  if (valid !== true) {
    const { line, msg } = valid.err;
    throw new ImportFileError(`The file is not valid XML (line ${line}: ${msg}). Is it complete?`);
  }
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "@_",
    processEntities: false,
    htmlEntities: false,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
    cdataPropName: CDATA,
    ignoreDeclaration: true,
    ignorePiTags: true,
    isArray: (name) => ARRAYS.has(name),
    // Readers' comments are not imported: each is left out of the tree as soon as it is read (memory).
    updateTag: (name) => name !== "wp:comment",
  });
  return parser.parse(xml) as Node;
}

/** "2019-03-04 10:00:00" (UTC; wp:post_date_gmt) → ms; the zero date and blanks → undefined. */
function wpDate(value: string): number | undefined | "bad" {
  const v = value.trim();
  if (!v || v.startsWith("0000-00-00")) return undefined;
  const m = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d(?::\d\d)?)$/.exec(v);
  const ms = m ? Date.parse(`${m[1]}T${m[2]}Z`) : NaN;
  return Number.isNaN(ms) ? "bad" : ms;
}

function urlOf(raw: string): URL | null {
  try {
    const url = new URL(raw.trim());
    return url.protocol === "http:" || url.protocol === "https:" ? url : null;
  } catch {
    return null;
  }
}
const hostKey = (url: URL) => url.hostname.toLowerCase().replace(/^www\./, "");

function slugOf(nicename: string): string {
  try {
    return decodeURIComponent(nicename);
  } catch {
    return nicename;
  }
}

const STATUS: Record<string, ImportedStatus> = { publish: "published", draft: "draft", pending: "draft", "auto-draft": "draft", future: "scheduled" };

function meta(item: Node): Map<string, string> {
  return new Map(list(item["wp:postmeta"]).map((m) => [text(m["wp:meta_key"]), text(m["wp:meta_value"])]));
}

export function parseWxr(xml: string): ParsedExport {
  const source = xml.charCodeAt(0) === 0xfeff ? xml.slice(1) : xml;
  refuseDeclarations(source);
  const root = parseXml(source);
  const channel = isNode(root.rss) ? root.rss.channel : undefined;
  if (!isNode(channel) || (channel["wp:wxr_version"] === undefined && !list(channel.item).some((i) => i["wp:post_type"] !== undefined))) {
    throw new ImportFileError("This XML file is not a WordPress export (WXR): export it from WordPress under Tools → Export.");
  }

  const siteUrls = [text(channel.link), text(channel["wp:base_blog_url"]), text(channel["wp:base_site_url"])].map(urlOf).filter((u): u is URL => u !== null);
  const siteHosts = new Set(siteUrls.map(hostKey));
  const site = {
    ...(plain(channel.title) ? { title: plain(channel.title) } : {}),
    ...(siteUrls[0] ? { url: siteUrls[0].href.replace(/\/+$/, "") } : {}),
  };

  const authors = new Map<string, ImportedAuthor>();
  for (const a of list(channel["wp:author"])) {
    const key = text(a["wp:author_login"]).trim();
    if (!key || authors.has(key)) continue;
    const email = text(a["wp:author_email"]).trim().toLowerCase();
    const fullName = `${plain(a["wp:author_first_name"])} ${plain(a["wp:author_last_name"])}`.trim();
    authors.set(key, { key, name: plain(a["wp:author_display_name"]) || fullName || key, ...(email ? { email } : {}), slug: key.toLowerCase() });
  }

  const categories = new Map<string, ImportedTerm>();
  const tags = new Map<string, ImportedTerm>();
  const addTerm = (terms: Map<string, ImportedTerm>, key: string, name: string, description?: string) => {
    if (!key || terms.has(key)) return;
    terms.set(key, { key, name: name || slugOf(key), slug: slugOf(key), ...(description ? { description } : {}) });
  };
  for (const c of list(channel["wp:category"])) {
    addTerm(categories, text(c["wp:category_nicename"]).trim(), plain(c["wp:cat_name"]), plain(c["wp:category_description"]));
  }
  for (const t of list(channel["wp:tag"])) {
    addTerm(tags, text(t["wp:tag_slug"]).trim(), plain(t["wp:tag_name"]), plain(t["wp:tag_description"]));
  }

  const items = list(channel.item);
  const attachments = new Map<string, { url: string; alt?: string; caption?: string }>();
  let postCount = 0;
  for (const item of items) {
    const type = text(item["wp:post_type"]).trim();
    if (type === "post" || type === "page") postCount++;
    if (type !== "attachment") continue;
    const url = text(item["wp:attachment_url"]).trim() || text(item.guid).trim();
    const alt = decodeXmlText(meta(item).get("_wp_attachment_image_alt") ?? "").trim();
    const caption = plain(item["excerpt:encoded"]);
    if (url) attachments.set(text(item["wp:post_id"]).trim(), { url, ...(alt ? { alt } : {}), ...(caption ? { caption } : {}) });
  }
  if (postCount > MAX_IMPORT_POSTS) {
    throw new ImportFileError(`The export has ${postCount} posts and pages; one import takes at most ${MAX_IMPORT_POSTS}.`);
  }

  const posts: ImportedPost[] = [];
  const problems: ItemProblem[] = [];
  const seen = new Set<string>();
  items.forEach((item, index) => {
    const type = text(item["wp:post_type"]).trim();
    if (type !== "post" && type !== "page") return; // attachments, menus, revisions, blocks…
    const position = index + 1;
    const title = plain(item.title);
    const key = text(item["wp:post_id"]).trim();
    const html = text(item["content:encoded"]);
    const item_ = title || key || undefined;
    const problem = (message: string) => problems.push({ position, ...(item_ ? { item: item_ } : {}), message });
    if (!/^\d+$/.test(key)) return problem("The item has no wp:post_id.");
    if (seen.has(key)) return problem(`A second item with wp:post_id ${key}: not imported.`);
    seen.add(key);
    if (!title && !html.trim()) return problem("The item has neither a title nor content.");

    const notes: string[] = [];
    const wpStatus = text(item["wp:status"]).trim();
    if (wpStatus === "trash") return problem("In the trash: not imported.");
    let status: ImportedStatus = STATUS[wpStatus] ?? "draft";
    if (wpStatus === "private") notes.push("Private in WordPress: imported as a draft.");
    else if (!STATUS[wpStatus]) notes.push(`WordPress status "${wpStatus || "none"}": imported as a draft.`);
    // A password-protected post must not become public by being imported.
    if (text(item["wp:post_password"]).trim() && status !== "draft") {
      status = "draft";
      notes.push("Password-protected in WordPress: imported as a draft.");
    }

    const gmt = wpDate(text(item["wp:post_date_gmt"]));
    const modified = wpDate(text(item["wp:post_modified_gmt"]));
    if (gmt === "bad") return problem("wp:post_date_gmt is not a date.");
    let publishedAt = gmt;
    if (publishedAt === undefined && status !== "draft") {
      // Older exports of published posts may lack the GMT date; pubDate (RFC 822) carries a zone.
      const pub = Date.parse(text(item.pubDate));
      if (!Number.isNaN(pub)) publishedAt = pub;
    }
    if (status === "scheduled" && publishedAt === undefined) {
      status = "draft";
      notes.push("Scheduled in WordPress without a date: imported as a draft.");
    }

    const itemCategories: string[] = [];
    const tagKeys: string[] = [];
    for (const c of list(item.category)) {
      const domain = attr(c, "domain");
      const nicename = attr(c, "nicename").trim();
      const name = plain(c);
      if (domain === "category" && nicename) {
        addTerm(categories, nicename, name);
        if (!itemCategories.includes(nicename)) itemCategories.push(nicename);
      } else if (domain === "post_tag" && nicename) {
        addTerm(tags, nicename, name);
        if (!tagKeys.includes(nicename)) tagKeys.push(nicename);
      }
    }
    for (const extra of itemCategories.slice(1)) {
      notes.push(`Also in the category "${categories.get(extra)?.name ?? extra}": Pressroom keeps one category per post.`);
    }

    const creator = text(item["dc:creator"]).trim();
    if (creator && !authors.has(creator)) authors.set(creator, { key: creator, name: creator, slug: creator.toLowerCase() });

    const postMeta = meta(item);
    const cover = attachments.get(postMeta.get("_thumbnail_id")?.trim() ?? "");
    const seoTitle = postMeta.get("_yoast_wpseo_title")?.trim();
    const seoDescription = postMeta.get("_yoast_wpseo_metadesc")?.trim();
    const slug = text(item["wp:post_name"]).trim() || null;
    const excerpt = plain(item["excerpt:encoded"]);

    const legacyPaths = [`?p=${key}`];
    const link = urlOf(text(item.link));
    if (status === "published" && link && siteHosts.has(hostKey(link)) && link.pathname !== "/") legacyPaths.push(link.pathname);

    posts.push({
      key,
      position,
      title: title || "(Untitled)",
      slug: slug ? slugOf(slug) : null,
      html,
      status,
      ...(publishedAt !== undefined && status !== "draft" ? { publishedAt } : {}),
      ...(gmt !== undefined ? { createdAt: gmt } : {}),
      ...(typeof modified === "number" ? { updatedAt: modified } : {}),
      paid: false,
      ...(type === "page" ? { isPage: true } : {}),
      ...(excerpt ? { excerpt } : {}),
      authorKeys: creator ? [creator] : [],
      tagKeys,
      ...(itemCategories[0] ? { categoryKey: itemCategories[0] } : {}),
      ...(cover ? { cover } : {}),
      // Yoast's templates (%%title%% %%sep%%) are not a title.
      ...(seoTitle && !seoTitle.includes("%%") ? { seoTitle } : {}),
      ...(seoDescription && !seoDescription.includes("%%") ? { seoDescription } : {}),
      legacyPaths,
      ...(notes.length ? { notes } : {}),
    });
  });

  return {
    source: "wordpress",
    site,
    authors: [...authors.values()],
    tags: [...tags.values()],
    categories: [...categories.values()],
    posts,
    problems,
    images: [],
    memberLists: [],
  };
}
