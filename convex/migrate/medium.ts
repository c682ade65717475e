"use node";

// Medium's export zip (issue #17): posts/*.html, one h-entry <article> each (title h1.p-name, body
// section[data-field=body], subtitle section[data-field=subtitle], author a.p-author, date
// time.dt-published, canonical a.p-canonical, tags a.p-tag), drafts named draft_…, and the account
// in profile/profile.html (its email lets the import match the writer to a member). Read with a
// real HTML parser (dom.ts); images stay URLs.

import { toSlug } from "../shared/slugs";
import { type HtmlReader, withHtmlReader } from "./dom";
import { type ImportedAuthor, type ImportedPost, type ImportedTerm, ImportFileError, type ItemProblem, MAX_IMPORT_POSTS, type ParsedExport } from "./types";
import { collectImages, decodeText, type ZipEntry } from "./zip";

const FALLBACK_AUTHOR: ImportedAuthor = { key: "medium:author", name: "Medium author" };
/** Medium ends a post's address with its id: "-" and 10 to 16 hex digits. */
const MEDIUM_ID_SUFFIX = /-[0-9a-f]{10,16}$/;

type HtmlDocument = ReturnType<HtmlReader["parse"]>;
type HtmlElement = NonNullable<ReturnType<HtmlDocument["querySelector"]>>;

/** True when the zip is a Medium export (HTML files directly under posts/). */
export function isMediumExport(entries: readonly ZipEntry[]): boolean {
  return entries.some((e) => isPostFile(e.path));
}

function isPostFile(path: string): boolean {
  return /^posts\/[^/]+\.html?$/i.test(path);
}

export function parseMedium(entries: readonly ZipEntry[]): ParsedExport {
  const files = entries.filter((e) => isPostFile(e.path)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  if (files.length > MAX_IMPORT_POSTS) throw new ImportFileError(`The export has ${files.length} posts; one import takes at most ${MAX_IMPORT_POSTS}.`);
  const profileEntry = entries.find((e) => e.path === "profile/profile.html");
  const posts: ImportedPost[] = [];
  const problems: ItemProblem[] = [];
  const authors = new Map<string, ImportedAuthor>();
  const tags = new Map<string, ImportedTerm>();

  withHtmlReader((reader) => {
    const owner = profileEntry ? readProfile(reader.parse(decodeText(profileEntry.read()))) : null;
    if (owner) authors.set(owner.key, owner);
    files.forEach((file, i) => {
      const position = i + 1;
      const key = file.path.slice("posts/".length).replace(/\.html?$/i, "");
      const doc = reader.parse(decodeText(file.read()));
      const article = doc.querySelector("article") ?? doc.body;
      const title = clean(article.querySelector("h1.p-name")?.textContent) || clean(doc.title);
      const fail = (message: string) => problems.push({ position, item: title || key, message });
      const body = article.querySelector('section[data-field="body"]');
      const subtitle = clean(article.querySelector('section[data-field="subtitle"]')?.textContent);
      if (body) dropRepeatedHeading(body, title, subtitle);
      const html = body ? body.innerHTML.trim() : "";
      if (!title && !clean(body?.textContent)) return fail("It has neither a title nor a body.");
      if (!body) return fail('It has no body (section data-field="body").');

      const draft = key.startsWith("draft_");
      const notes: string[] = [];
      const rawDate = article.querySelector("time.dt-published")?.getAttribute("datetime")?.trim() ?? "";
      const date = rawDate ? Date.parse(rawDate) : NaN;
      if (rawDate && Number.isNaN(date)) return fail(`Its publication date "${rawDate.slice(0, 40)}" is not a date.`);
      if (!draft && !rawDate) notes.push("It had no publication date.");

      const canonicalPath = pathOf(article.querySelector("a.p-canonical")?.getAttribute("href"));
      const lastSegment = canonicalPath?.split("/").pop() ?? "";
      const slug = lastSegment.replace(MEDIUM_ID_SUFFIX, "") || null;

      const author = readAuthor(article.querySelector("a.p-author"), owner);
      if (!authors.has(author.key)) authors.set(author.key, author);

      const tagKeys: string[] = [];
      for (const a of Array.from(article.querySelectorAll("a.p-tag"))) {
        const name = clean(a.textContent);
        const slugFromHref = /\/tag\/([^/?#]+)/.exec(pathOf(a.getAttribute("href")) ?? "")?.[1];
        const tagSlug = toSlug(slugFromHref ?? name);
        if (!name || !tagSlug) continue;
        if (!tags.has(tagSlug)) tags.set(tagSlug, { key: tagSlug, name, slug: tagSlug });
        if (!tagKeys.includes(tagSlug)) tagKeys.push(tagSlug);
      }

      posts.push({
        key,
        position,
        title: title || "Untitled",
        slug: slug ? toSlug(slug) || null : null,
        html,
        status: draft ? "draft" : "published",
        ...(Number.isNaN(date) ? {} : { createdAt: date, updatedAt: date, ...(draft ? {} : { publishedAt: date }) }),
        paid: false,
        ...(subtitle ? { excerpt: subtitle } : {}),
        authorKeys: [author.key],
        tagKeys,
        legacyPaths: canonicalPath && lastSegment ? [canonicalPath] : [],
        ...(notes.length ? { notes } : {}),
      });
    });
  });

  const { images, problems: imageProblems } = collectImages(entries);
  problems.push(...imageProblems);
  return {
    source: "medium",
    authors: [...authors.values()],
    tags: [...tags.values()],
    categories: [],
    posts,
    problems,
    images,
    memberLists: [],
  };
}

/** The account that exported (profile/profile.html): name, @username and email. */
function readProfile(doc: HtmlDocument): ImportedAuthor | null {
  const card = doc.querySelector(".h-card");
  const name = clean(card?.querySelector(".p-name")?.textContent);
  if (!card || !name) return null;
  const username = usernameOf(card.querySelector("a.u-url")?.getAttribute("href"));
  let email: string | undefined;
  for (const li of Array.from(card.querySelectorAll("li"))) {
    const m = /^Email address:\s*(\S+@\S+)$/i.exec(clean(li.textContent));
    if (m) email = m[1].toLowerCase();
  }
  return authorFrom(name, username, email);
}

/** A post's writer: a.p-author (the exporting account's email added when it is them); else the account. */
function readAuthor(link: HtmlElement | null, owner: ImportedAuthor | null): ImportedAuthor {
  const name = clean(link?.textContent);
  if (!link || !name) return owner ?? FALLBACK_AUTHOR;
  const author = authorFrom(name, usernameOf(link.getAttribute("href")), undefined);
  return owner && owner.key === author.key ? owner : author;
}

function authorFrom(name: string, username: string | null, email: string | undefined): ImportedAuthor {
  const slug = toSlug(username ?? name);
  return {
    key: username ? `@${username.toLowerCase()}` : `name:${name.toLowerCase()}`,
    name,
    ...(email ? { email } : {}),
    ...(slug ? { slug } : {}),
  };
}

/** "https://medium.com/@JoeBloggs" → "JoeBloggs". */
function usernameOf(href: string | null | undefined): string | null {
  return /^\/@([^/]+)/.exec(pathOf(href) ?? "")?.[1] ?? null;
}

/** The path of an absolute http(s) link ("/@joe/title-abc123"), or null. */
function pathOf(href: string | null | undefined): string | null {
  if (!href) return null;
  try {
    const url = new URL(href);
    if (url.protocol !== "http:" && url.protocol !== "https:") return null;
    return url.pathname.replace(/\/+$/, "") || null;
  } catch {
    return null;
  }
}

/**
 * Medium repeats the title (and subtitle) as the body's first headings, and opens the first section
 * with a divider: dropped, or the post would show its title twice.
 */
function dropRepeatedHeading(body: HtmlElement, title: string, subtitle: string): void {
  const first = body.querySelector("section");
  first?.querySelector(".section-divider")?.remove();
  const heading = body.querySelector(".graf--title");
  if (heading && clean(heading.textContent) === title) heading.remove();
  const sub = body.querySelector(".graf--subtitle");
  if (sub && clean(sub.textContent) === subtitle) sub.remove();
}

function clean(text: string | null | undefined): string {
  return (text ?? "").replace(/\s+/g, " ").trim();
}
