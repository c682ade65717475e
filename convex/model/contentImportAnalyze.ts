import { internal } from "../_generated/api";
import type { Id } from "../_generated/dataModel";
import type { ActionCtx } from "../_generated/server";
import { ImportFileError, type ImportSource, type ItemProblem, type ParsedExport, type PreparedPost } from "../migrate/types";
import { buildStaging, LOOKUP_BATCH, type SiteFacts, type StagedDraft } from "./contentImportPlan";
import type { StagedInput } from "./contentImport";

// The dry run (issue #17), run by the "use node" action contentImportRun.analyze: reads the upload,
// parses it (migrate/parse.ts) and prepares each post (migrate/html.ts), plans against the site,
// stores the upload's images and members lists in file storage, and stages everything in
// contentImportItems in batches. Nothing of the site is written. Each mutation it calls checks that
// this attempt still owns the job, so a cancel or a watchdog re-run stops it.

export interface AnalyzeDeps {
  parseUpload: (bytes: Uint8Array, fileName: string) => ParsedExport;
  preparePost: (post: ParsedExport["posts"][number], opts: { source: ImportSource; siteUrl?: string; imagePaths: ReadonlySet<string> }) => PreparedPost;
}

/** Staged rows per mutation, and the JSON bytes per mutation (well under Convex's write limits). */
const STAGE_ROWS = 100;
const STAGE_BYTES = 2 * 2 ** 20;
/** A staged post's JSON must stay well under Convex's 1 MiB document limit. */
const MAX_STAGED_POST_BYTES = 900 * 1024;

export const GENERIC_FAILURE = "The file could not be read. Check that it is an unmodified export, or contact support.";

export async function runAnalysis(ctx: ActionCtx, importId: Id<"contentImports">, attempt: number, deps: AnalyzeDeps): Promise<void> {
  const job = await ctx.runQuery(internal.contentImport.analyzingJob, { importId, attempt });
  if (!job) return;
  try {
    // A re-run starts from scratch: whatever an earlier attempt staged goes first.
    for (;;) {
      const deleted = await ctx.runMutation(internal.contentImport.resetStaging, { importId, attempt });
      if (deleted < 0) return;
      if (deleted === 0) break;
    }
    // Memory (the bench's 43 MB Ghost export): the file's bytes are only referenced for the parse,
    // each post's source HTML is dropped once converted, the documents once staged as JSON, and each
    // staged row once sent, so the upload, its parse and its staging are never all held at once.
    const parsed = await readAndParse(ctx, job.storageId, job.fileName, deps);
    const imagePaths = new Set(parsed.images.map((i) => i.path));
    const prepared: PreparedPost[] = [];
    const problems: ItemProblem[] = [...parsed.problems];
    const posts: Array<ParsedExport["posts"][number] | undefined> = parsed.posts;
    parsed.posts = [];
    for (let i = 0; i < posts.length; i++) {
      const post = posts[i]!;
      posts[i] = undefined;
      try {
        const p = deps.preparePost(post, { source: parsed.source, siteUrl: job.siteUrl, imagePaths });
        if (JSON.stringify(p).length > MAX_STAGED_POST_BYTES) problems.push({ position: post.position, item: post.title || post.key, message: "This post is too large to import (over 900 KB of content)." });
        else prepared.push(p);
      } catch (e) {
        // html.ts throws ImportItemError (a message for the owner) for a post it cannot take.
        const told = e instanceof Error && (e.name === "ImportItemError" || e instanceof ImportFileError);
        if (!told) console.error(`content import ${importId}: post ${post.position} could not be prepared`, e);
        problems.push({ position: post.position, item: (post.title || post.key).slice(0, 200), message: told ? (e as Error).message : "This post's content could not be read." });
      }
    }
    const facts = await siteFacts(ctx, job.siteId, parsed, prepared);
    const { plan, report, items } = buildStaging(parsed, prepared, problems, facts);
    prepared.length = 0; // each post is in its staged row's JSON now
    const files = new Map([...parsed.images.map((i) => [i.path, { bytes: i.bytes, type: i.contentType }] as const), ...parsed.memberLists.map((l) => [l.path, { bytes: l.bytes, type: "text/csv" }] as const)]);
    const total = items.filter((i) => i.kind === "post").length;
    if (!(await stage(ctx, importId, attempt, items, files))) return;
    await ctx.runMutation(internal.contentImport.finishAnalysis, { importId, attempt, source: parsed.source, plan, report, total });
  } catch (e) {
    if (!(e instanceof ImportFileError)) console.error(`content import ${importId}: the dry run failed`, e);
    await ctx.runMutation(internal.contentImport.fail, { importId, attempt, error: e instanceof ImportFileError ? e.message : GENERIC_FAILURE });
  }
}

/**
 * The upload parsed. Its own frame so that nothing of runAnalysis's (whose frame an await keeps,
 * stale temporaries included) references the Blob or the bytes once the parse is done.
 */
async function readAndParse(ctx: ActionCtx, storageId: Id<"_storage">, fileName: string, deps: AnalyzeDeps): Promise<ParsedExport> {
  const blob = await ctx.storage.get(storageId);
  if (!blob) throw new ImportFileError("The uploaded file is gone. Upload it again.");
  const bytes = await readAll(blob);
  return deps.parseUpload(bytes, fileName);
}

/**
 * A Blob's bytes in one buffer of its size, filled from its stream: `arrayBuffer()` holds the
 * file twice until a collection (its chunks, then their concatenation), which for a 43 MB upload
 * stayed resident through the whole dry run.
 */
export async function readAll(blob: Blob): Promise<Uint8Array> {
  const out = new Uint8Array(blob.size);
  let at = 0;
  const reader = blob.stream().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (at + value.length > out.length) throw new ImportFileError("The uploaded file changed while it was read. Upload it again.");
    out.set(value, at);
    at += value.length;
  }
  return at === out.length ? out : out.subarray(0, at);
}

/** The site facts the plan needs, looked up in batches of LOOKUP_BATCH. */
async function siteFacts(ctx: ActionCtx, siteId: Id<"sites">, parsed: ParsedExport, prepared: PreparedPost[]): Promise<SiteFacts> {
  const uniq = <T>(xs: T[]) => [...new Set(xs)];
  const lists = {
    emails: uniq(parsed.authors.flatMap((a) => (a.email ? [a.email.toLowerCase()] : []))),
    authorKeys: uniq(parsed.authors.map((a) => a.key)),
    tagSlugs: uniq(parsed.tags.map((t) => t.slug.toLowerCase())),
    categorySlugs: uniq(parsed.categories.map((t) => t.slug.toLowerCase())),
    postSlugs: uniq(prepared.flatMap((p) => (p.slug ? [p.slug] : []))),
    postKeys: uniq(prepared.map((p) => p.key)),
    termKeys: [...parsed.tags.map((t) => ({ kind: "tag" as const, key: t.key })), ...parsed.categories.map((t) => ({ kind: "category" as const, key: t.key }))],
  };
  const found = { emails: [] as string[], authorKeys: [] as string[], tagSlugs: [] as string[], categorySlugs: [] as string[], postSlugs: [] as string[], postKeys: [] as string[], termKeys: [] as string[] };
  let hasActivePlan = false;
  const longest = Math.max(0, ...Object.values(lists).map((l) => l.length));
  for (let at = 0; at < Math.max(1, longest); at += LOOKUP_BATCH) {
    const slice = <T>(l: T[]) => l.slice(at, at + LOOKUP_BATCH);
    const r = await ctx.runQuery(internal.contentImport.planLookup, {
      siteId,
      source: parsed.source,
      emails: slice(lists.emails),
      authorKeys: slice(lists.authorKeys),
      tagSlugs: slice(lists.tagSlugs),
      categorySlugs: slice(lists.categorySlugs),
      postSlugs: slice(lists.postSlugs),
      postKeys: slice(lists.postKeys),
      termKeys: slice(lists.termKeys),
    });
    for (const k of Object.keys(found) as Array<keyof typeof found>) found[k].push(...r[k]);
    hasActivePlan = r.hasActivePlan;
  }
  return {
    memberEmails: new Set(found.emails),
    importedAuthors: new Set(found.authorKeys),
    tagSlugs: new Set(found.tagSlugs),
    categorySlugs: new Set(found.categorySlugs),
    postSlugs: new Set(found.postSlugs),
    importedPosts: new Set(found.postKeys),
    importedTerms: new Set(found.termKeys),
    hasActivePlan,
  };
}

/**
 * Stages the items in order (position = index), storing each batch's files first. False when the
 * job was taken from this attempt (the mutation deleted the batch's files then).
 */
async function stage(ctx: ActionCtx, importId: Id<"contentImports">, attempt: number, items: Array<StagedDraft | undefined>, files: Map<string, { bytes: Uint8Array; type: string }>): Promise<boolean> {
  let batch: StagedInput[] = [];
  let bytes = 0;
  const flush = async () => {
    if (!batch.length) return true;
    const ok = await ctx.runMutation(internal.contentImport.stageItems, { importId, attempt, items: batch });
    batch = [];
    bytes = 0;
    return ok;
  };
  for (let position = 0; position < items.length; position++) {
    const item = items[position]!;
    items[position] = undefined; // held by the batch until it is sent, then by nothing
    let storageId: Id<"_storage"> | undefined;
    if (item.filePath) {
      const file = files.get(item.filePath);
      if (file) storageId = await ctx.storage.store(new Blob([file.bytes as BlobPart], { type: file.type }));
    }
    if (batch.length >= STAGE_ROWS || bytes + item.data.length > STAGE_BYTES) {
      if (!(await flush())) {
        if (storageId) await ctx.runMutation(internal.contentImport.dropFiles, { storageIds: [storageId] });
        return false;
      }
    }
    batch.push({ position, kind: item.kind, data: item.data, storageId });
    bytes += item.data.length;
  }
  return await flush();
}
