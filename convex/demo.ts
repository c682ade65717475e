import { v } from "convex/values";
import type { Doc, Id } from "./_generated/dataModel";
import type { MutationCtx } from "./_generated/server";
import { internalMutation } from "./lib/functions";
import * as Lifecycle from "./model/postLifecycle";
import * as Posts from "./model/posts";
import { applyPublicationChange, publicationState } from "./model/publication";
import * as Taxonomy from "./model/taxonomy";
import { demoBranding } from "./demoDesign";
import { createSiteFor, uniqueAuthorSlug } from "./sites";

// Demo content: three publications with authors, categories, tags, a paid plan and 60 published
// posts (some featured for subscribers), for `npm start` and the reader's browser tests. Everything
// goes through the same model functions as the studio (createDraft, saveDraft, publish, setTags,
// setFeatured, changeSlug, renameTag…), so counters, tag mirrors, revisions and redirects are real.
// Each publication also has one renamed post, tag and category, so old links redirect.
// Themes, logos and covers: demoDesign.ts (the images are uploaded by tools/demo-covers/seed.ts).

/** The first demo site's slug doubles as the "already seeded" marker. */
export const DEMO_MARKER_SLUG = "the-ledger";

type Block =
  | { p: string }
  | { h: string }
  | { ul: string[] }
  | { quote: string }
  | { code: string; lang: string };

interface DemoPost {
  title: string;
  category: number;
  tags: number[];
  featured?: boolean;
  excerpt?: string;
}

interface DemoSite {
  name: string;
  slug: string;
  description: string;
  accent: string;
  owner: { name: string; bio: string; website?: string };
  authors: Array<{ name: string; bio: string; website?: string }>;
  categories: Array<{ name: string; description: string }>;
  tags: string[];
  /** Paragraph pool the bodies are composed from (deterministically, by post index). */
  paragraphs: string[];
  headings: string[];
  lists: string[][];
  quotes: string[];
  code?: { code: string; lang: string };
  posts: DemoPost[];
  plan: { name: string; priceCents: number; description: string };
  /** [post index, new slug], [tag index, new name], [category index, new name]. */
  renames: { post: [number, string]; tag: [number, string]; category: [number, string] };
}

const SITES: DemoSite[] = [
  {
    name: "The Ledger",
    slug: DEMO_MARKER_SLUG,
    description: "Money, cities and the people who run them, explained without the jargon.",
    accent: "#0f6b4f",
    owner: { name: "Amara Okafor", bio: "Editor of The Ledger. Previously covered municipal finance for a decade.", website: "https://example.com/amara" },
    authors: [
      { name: "Daniel Brandt", bio: "Writes about housing, transit budgets and the arithmetic of zoning." },
      { name: "Priya Raman", bio: "Data reporter. Reads annual reports so you don't have to." },
    ],
    categories: [
      { name: "Cities", description: "How cities raise money and spend it." },
      { name: "Markets", description: "Rates, bonds and what they mean for households." },
      { name: "Explainers", description: "The long version, in plain words." },
    ],
    tags: ["Housing", "Transit", "Budgets", "Interest rates", "Data", "Pensions", "Tax"],
    paragraphs: [
      "Every city budget is a statement of priorities disguised as a spreadsheet. Read the line items long enough and a story emerges: what the council fears, what it promised, and what it quietly stopped paying for.",
      "The numbers are public, but public is not the same as legible. Most residents will never open a 400-page capital plan, and the people who do are usually paid to argue about it.",
      "Start with the debt service line. It is the closest thing a city has to a fixed cost, and when it grows faster than revenue the squeeze shows up everywhere else first: libraries close earlier, potholes wait longer.",
      "Interest rates matter here more than most coverage admits. A two-point rise on a thirty-year bond is the difference between a new bus depot and a press release about one.",
      "We asked three finance directors the same question: what would you cut first? None of them answered directly, which is an answer of its own.",
      "Housing is where the arithmetic gets personal. Land, construction and financing costs stack up before a single tenant moves in, and each layer has its own lobby.",
      "The transit agency's forecast assumed ridership would recover to 2019 levels by now. It has not, and the gap is being covered by one-time money that runs out next spring.",
      "Pensions are the slow-moving part of the story. The obligations were set decades ago; the bills arrive now, on a schedule nobody can renegotiate.",
      "None of this is hopeless. Cities that publish clear, early budget documents tend to make fewer emergency cuts, because problems surface while there is still time to choose.",
      "Here is what to watch at the next council meeting: the reserve fund balance, the assumed growth in property tax receipts, and whether anyone asks where the one-time money went.",
    ],
    headings: ["Follow the debt service", "What the forecast assumed", "Where the money goes", "What to watch next"],
    lists: [
      ["The reserve balance, and how fast it is falling", "Assumed property tax growth", "One-time funds used for recurring costs"],
      ["Read the capital plan summary first", "Compare the forecast with last year's", "Ask who signed off on the assumptions"],
    ],
    quotes: [
      "A budget is a moral document, but it is also a calendar: it tells you which problems will arrive first.",
      "We are not broke. We are committed, which is worse, because you cannot negotiate with a commitment.",
    ],
    posts: [
      { title: "How a city budget really works", category: 2, tags: [2, 4] },
      { title: "The hidden cost of a thirty-year bond", category: 1, tags: [3, 2], featured: true },
      { title: "Why your bus runs less often than it did in 2019", category: 0, tags: [1, 2] },
      { title: "Zoning, explained with one vacant lot", category: 2, tags: [0] },
      { title: "Five numbers to check in any council agenda", category: 0, tags: [2, 4] },
      { title: "What rising rates mean for renters", category: 1, tags: [3, 0], featured: true },
      { title: "The pension bill nobody can renegotiate", category: 0, tags: [5, 2] },
      { title: "Reading an annual report in twenty minutes", category: 2, tags: [4] },
      { title: "Property tax assessments are a guessing game", category: 0, tags: [6, 0] },
      { title: "Transit fares will not save transit", category: 0, tags: [1] },
      { title: "Inside the reserve fund: our data, cleaned up", category: 1, tags: [4, 2], featured: true },
      { title: "Who actually buys municipal bonds", category: 1, tags: [3] },
      { title: "Five myths about rent control", category: 2, tags: [0] },
      { title: "The one-time money cliff, city by city", category: 0, tags: [2, 4] },
      { title: "A short history of the sales tax", category: 2, tags: [6] },
      { title: "What a credit downgrade costs a city", category: 1, tags: [3, 2] },
      { title: "Why construction costs keep rising", category: 0, tags: [0] },
      { title: "Our methodology for the housing tracker", category: 2, tags: [4, 0] },
      { title: "The budget vote, annotated", category: 0, tags: [2], featured: true },
      { title: "Welcome to The Ledger", category: 2, tags: [], excerpt: "Why we started a newsletter about municipal money, and what you can expect every week." },
    ],
    plan: { name: "Ledger Member", priceCents: 700, description: "Every featured analysis, the data behind it, and our thanks." },
    renames: { post: [0, "city-budgets-explained"], tag: [2, "Public budgets"], category: [2, "Guides"] },
  },
  {
    name: "Field Notes",
    slug: "field-notes",
    description: "A gardener's journal: soil, seasons, and slow experiments in a small backyard.",
    accent: "#b45309",
    owner: { name: "Hannah Lindqvist", bio: "Gardens on a north-facing slope and writes about what survives." },
    authors: [{ name: "Mateo Alvarez", bio: "Grows tomatoes competitively and peppers stubbornly.", website: "https://example.com/mateo" }],
    categories: [
      { name: "Vegetables", description: "What to grow to eat, and when." },
      { name: "Soil", description: "Compost, mulch and the life underground." },
      { name: "Seasons", description: "Month-by-month notes from the garden." },
    ],
    tags: ["Tomatoes", "Compost", "Seeds", "Pollinators", "Winter", "Mulch", "Herbs"],
    paragraphs: [
      "The first frost came a week early this year, which is the only reliable thing about first frosts. The basil went black overnight; the kale looked pleased with itself.",
      "Compost is less a recipe than a negotiation. Too wet and it sulks, too dry and it sleeps. Turn it, add a little cardboard, and it forgives you.",
      "I started the tomatoes on the windowsill in March, which was too early, as it is every year. By May they were leggy teenagers straining toward the glass.",
      "A good mulch does three jobs at once: it keeps moisture in, keeps weeds down, and slowly feeds the soil it covers. Straw, leaves and wood chips all work; plastic only does one of the three.",
      "The bees arrive when the borage flowers, and not a day before. I have stopped trying to hurry them and started planting more borage.",
      "Saving seeds is the quietest kind of optimism. You are betting that next spring will come, and that you will be here to plant it.",
      "Clay soil is not your enemy, just your slowest friend. Add organic matter every autumn and in five years you will have something you can dig with a spoon.",
      "Herbs want less than you think: poor soil, full sun, and to be left alone. The rosemary I neglected outlived the one I fussed over.",
      "Winter is when the garden gets planned. The catalogs arrive, the graph paper comes out, and every mistake from last year gets a second chance.",
      "If you only do one thing this month, test your soil. A cheap kit tells you more about why things failed than any forum thread.",
    ],
    headings: ["What went wrong", "What worked", "Notes for next year", "This month's jobs"],
    lists: [
      ["Sow broad beans before the ground freezes", "Mulch the perennial beds", "Clean and oil the tools"],
      ["Two parts brown material to one part green", "Turn the pile every two weeks", "Keep it as damp as a wrung-out sponge"],
    ],
    quotes: ["The best fertilizer is the gardener's shadow.", "Plant for the garden you will have in five years, not the one you have now."],
    posts: [
      { title: "The tomatoes I started too early", category: 0, tags: [0, 2] },
      { title: "A beginner's guide to hot composting", category: 1, tags: [1], featured: true },
      { title: "Notes from the first frost", category: 2, tags: [4] },
      { title: "Why I stopped tilling", category: 1, tags: [5, 1] },
      { title: "Saving seeds from open-pollinated beans", category: 0, tags: [2] },
      { title: "Planting for bees on a small plot", category: 2, tags: [3, 6] },
      { title: "The complete tomato pruning method", category: 0, tags: [0], featured: true },
      { title: "Leaf mold is free and underrated", category: 1, tags: [5, 1] },
      { title: "Herbs that survive neglect", category: 0, tags: [6] },
      { title: "What the soil test told me", category: 1, tags: [1] },
      { title: "A winter planning ritual", category: 2, tags: [4, 2] },
      { title: "Growing garlic from the supermarket", category: 0, tags: [2] },
      { title: "My five-year clay soil experiment, with photos", category: 1, tags: [1, 5], featured: true },
      { title: "Borage, the bee magnet", category: 2, tags: [3] },
      { title: "When to water (less often than you think)", category: 0, tags: [5] },
      { title: "Pepper seedlings that refused to grow", category: 0, tags: [2] },
      { title: "The wildflower strip that failed", category: 2, tags: [3] },
      { title: "Mulch materials compared", category: 1, tags: [5] },
      { title: "October in the vegetable bed", category: 2, tags: [4, 0] },
      { title: "Hello from a north-facing slope", category: 2, tags: [], excerpt: "What this journal is for, and why the garden faces the wrong way." },
    ],
    plan: { name: "Seed Fund", priceCents: 400, description: "Full growing guides and the yearly planting calendar." },
    renames: { post: [0, "tomatoes-started-too-early"], tag: [6, "Culinary herbs"], category: [2, "Through the year"] },
  },
  {
    name: "Byte Sized",
    slug: "byte-sized",
    description: "Short, careful essays about software: databases, the web, and building things that last.",
    accent: "#6d28d9",
    owner: { name: "Jonas Weber", bio: "Backend engineer. Believes most outages are caching bugs in disguise." },
    authors: [
      { name: "Mei Tanaka", bio: "Frontend and accessibility. Writes tests before opinions.", website: "https://example.com/mei" },
      { name: "Sam Carter", bio: "Databases, indexes, and the occasional benchmark argument." },
    ],
    categories: [
      { name: "Databases", description: "Indexes, transactions and the shape of data." },
      { name: "Web", description: "Browsers, HTML and the platform." },
      { name: "Practice", description: "How teams build and ship software." },
    ],
    tags: ["Indexes", "Caching", "Accessibility", "Testing", "Performance", "Security", "SQL"],
    paragraphs: [
      "Every cache is a promise that the data has not changed. Most caching bugs are broken promises: the data changed, and nobody told the cache.",
      "An index is a second copy of your data, sorted differently. Once you see it that way, the trade-offs stop being mysterious: every write pays for every index.",
      "Accessibility is not a feature you add at the end. It is a property of the markup you already wrote, and the cheapest time to get it right is the first time.",
      "Tests that only pass are not evidence. A test earns its keep the first time it fails for the right reason.",
      "The fastest query is the one you do not run. The second fastest reads a contiguous range of an index and stops.",
      "Security reviews go better when the question is not whether something can be abused but how, and what the blast radius would be.",
      "Most performance work is measurement. The fix is usually obvious once you know where the time goes; the hard part is believing the profiler.",
      "Transactions make hard things boring, which is the highest compliment in infrastructure.",
      "A form that works without JavaScript is not nostalgia. It is a form that works on a train, on an old phone, and while your bundle is still loading.",
      "When two systems disagree about the truth, pick one to be the source and make the other a projection. Then write the test that proves it.",
    ],
    headings: ["The problem", "A better approach", "What it costs", "Takeaways"],
    lists: [
      ["Measure before changing anything", "Change one thing at a time", "Keep the benchmark in the repository"],
      ["Every public function validates its arguments", "Every query uses an index", "Every list is paginated"],
    ],
    quotes: [
      "There are only two hard things in computer science: cache invalidation and naming things.",
      "Make it work, make it right, make it fast, in that order.",
    ],
    code: { lang: "sql", code: "CREATE INDEX posts_by_site_and_date\n  ON posts (site_id, published_at DESC);" },
    posts: [
      { title: "Cache invalidation is a promise problem", category: 0, tags: [1, 4] },
      { title: "Indexes are second copies of your data", category: 0, tags: [0, 6], featured: true },
      { title: "The accessible form, step by step", category: 1, tags: [2] },
      { title: "Tests that fail for the right reason", category: 2, tags: [3] },
      { title: "Reading a query plan without fear", category: 0, tags: [6, 4] },
      { title: "Paywalls that do not leak", category: 1, tags: [5, 1], featured: true },
      { title: "Pagination with cursors, not offsets", category: 0, tags: [0, 4] },
      { title: "Focus styles are not optional", category: 1, tags: [2] },
      { title: "What a benchmark can and cannot tell you", category: 2, tags: [4, 3] },
      { title: "Sanitize the output, not the input", category: 1, tags: [5] },
      { title: "Designing a multi-tenant schema", category: 0, tags: [0, 5], featured: true },
      { title: "Skip links and landmarks in practice", category: 1, tags: [2] },
      { title: "Counting views without hot documents", category: 0, tags: [4] },
      { title: "Conditional requests and ETags", category: 1, tags: [1, 4] },
      { title: "The case for boring technology", category: 2, tags: [] },
      { title: "Full-text search in forty lines", category: 0, tags: [6] },
      { title: "Redirects are part of your API", category: 1, tags: [5] },
      { title: "Code review as teaching", category: 2, tags: [3] },
      { title: "Property tests for counters", category: 2, tags: [3, 0], featured: true },
      { title: "Why we write Byte Sized", category: 2, tags: [], excerpt: "Short essays, carefully tested claims, and no hype. An introduction." },
    ],
    plan: { name: "Byte Sized Pro", priceCents: 600, description: "Deep dives, benchmarks and the code behind them." },
    renames: { post: [0, "cache-invalidation-promises"], tag: [6, "Structured Query Language"], category: [2, "Engineering practice"] },
  },
];

type Node = Record<string, unknown>;
const text = (t: string, marks?: Node[]): Node => ({ type: "text", text: t, ...(marks ? { marks } : {}) });
const para = (...content: Node[]): Node => ({ type: "paragraph", content });

/** A post body composed from the site's pools; `i` picks (deterministically) which pieces. */
function composeDoc(site: DemoSite, i: number, post: DemoPost, linkTo: string | null): string {
  const pick = <T>(arr: T[], k: number) => arr[(i * 7 + k * 3) % arr.length];
  const blocks: Block[] = [
    { p: pick(site.paragraphs, 0) },
    { p: pick(site.paragraphs, 1) },
    { h: pick(site.headings, 0) },
    { p: pick(site.paragraphs, 2) },
    { ul: pick(site.lists, i) },
    { p: pick(site.paragraphs, 3) },
    { quote: pick(site.quotes, i) },
  ];
  if (site.code && i % 3 === 0) blocks.push({ code: site.code.code, lang: site.code.lang });
  blocks.push(
    { h: pick(site.headings, 1) },
    { p: pick(site.paragraphs, 4) },
    { p: pick(site.paragraphs, 5) },
    { p: pick(site.paragraphs, 8) },
    { h: pick(site.headings, 2) },
    { p: pick(site.paragraphs, 9) },
    { p: pick(site.paragraphs, 10) },
  );
  if (post.featured) {
    blocks.push(
      { h: "For subscribers: the full analysis" },
      { p: pick(site.paragraphs, 6) },
      { p: pick(site.paragraphs, 7) },
      { ul: pick(site.lists, i + 1) },
      { p: pick(site.paragraphs, 11) },
    );
  }
  const content: Node[] = blocks.map((b) => {
    if ("p" in b) return para(text(b.p));
    if ("h" in b) return { type: "heading", attrs: { level: 2 }, content: [text(b.h)] };
    if ("ul" in b) return { type: "bulletList", content: b.ul.map((item) => ({ type: "listItem", content: [para(text(item))] })) };
    if ("quote" in b) return { type: "blockquote", content: [para(text(b.quote))] };
    return { type: "codeBlock", attrs: { language: b.lang }, content: [text(b.code)] };
  });
  if (linkTo) {
    content.push(para(text("Related: "), text("an earlier post on the same subject", [{ type: "link", attrs: { href: linkTo } }]), text(".")));
  }
  return JSON.stringify({ type: "doc", content });
}

async function createUser(ctx: MutationCtx, person: { name: string; bio: string; website?: string }, now: number): Promise<Doc<"users">> {
  const email = `${person.name.toLowerCase().replace(/[^a-z]+/g, ".")}@demo.pressroom.invalid`;
  const id = await ctx.db.insert("users", { name: person.name, email, role: "user", isActive: true, emailVerified: true, createdAt: now, updatedAt: now });
  await ctx.db.insert("userProfiles", { userId: id, bio: person.bio, website: person.website, createdAt: now, updatedAt: now });
  return (await ctx.db.get("users", id))!;
}

const DAY = 86_400_000;

async function seedSite(ctx: MutationCtx, def: DemoSite, siteIndex: number, now: number): Promise<number> {
  const owner = await createUser(ctx, def.owner, now);
  const siteId = await createSiteFor(ctx, owner._id, { name: def.name, slug: def.slug, description: def.description });
  // Each demo publication has its own theme (demoDesign.ts); images are attached after seeding.
  await ctx.db.patch("sites", siteId, { branding: await demoBranding(ctx, def.slug, { accentColor: def.accent }) });
  const site = (await ctx.db.get("sites", siteId))!;
  const ownerMember = (await ctx.db
    .query("siteMembers")
    .withIndex("by_siteId_and_userId", (q) => q.eq("siteId", siteId).eq("userId", owner._id))
    .unique())!;
  const actors: Posts.Actor[] = [{ viewer: owner, site, member: ownerMember }];
  for (const person of def.authors) {
    const user = await createUser(ctx, person, now);
    const memberId = await ctx.db.insert("siteMembers", {
      siteId,
      userId: user._id,
      role: "author",
      authorSlug: await uniqueAuthorSlug(ctx, siteId, person.name),
      invitedBy: owner._id,
      createdAt: now,
    });
    actors.push({ viewer: user, site, member: (await ctx.db.get("siteMembers", memberId))! });
  }
  const ownerActor = actors[0];
  await ctx.db.insert("subscriptionPlans", {
    siteId,
    name: def.plan.name,
    description: def.plan.description,
    priceCents: def.plan.priceCents,
    currency: "usd",
    interval: "month",
    features: ["Featured posts", "Support independent writing"],
    isActive: true,
    sortOrder: 0,
    createdAt: now,
    updatedAt: now,
  });
  const categoryIds: Id<"categories">[] = [];
  for (const c of def.categories) categoryIds.push(await Taxonomy.createTerm(ctx, ownerActor, "category", c));
  const tagIds: Id<"tags">[] = [];
  for (const name of def.tags) tagIds.push(await Taxonomy.createTerm(ctx, ownerActor, "tag", { name }));

  const slugs: string[] = [];
  const postIds: Id<"posts">[] = [];
  // Oldest first, so links can point at earlier posts; the newest is def.posts[0].
  for (let n = def.posts.length - 1; n >= 0; n--) {
    const post = def.posts[n];
    const actor = post.featured ? ownerActor : actors[n % actors.length];
    const linkTo = slugs.length && n % 4 === 1 ? `/${def.slug}/${slugs[slugs.length - 1]}` : null;
    const postId = await Posts.createDraft(ctx, actor, {
      title: post.title,
      doc: composeDoc(def, n + siteIndex, post, linkTo),
      categoryId: categoryIds[post.category],
    });
    if (post.excerpt) {
      const draft = await Posts.getBody(ctx, (await ctx.db.get("posts", postId))!, "draft");
      await Posts.saveDraft(ctx, actor, (await ctx.db.get("posts", postId))!, draft!.version, { excerpt: post.excerpt }, false);
    }
    if (post.tags.length) await Posts.setTags(ctx, actor, (await ctx.db.get("posts", postId))!, post.tags.map((t) => tagIds[t]));
    await Lifecycle.publishAs(ctx, actor.viewer, (await ctx.db.get("posts", postId))!);
    if (post.featured) await Posts.setFeatured(ctx, ownerActor, (await ctx.db.get("posts", postId))!, true);
    // Spread publication dates over the last months (newest first in def.posts), 1–2 days apart.
    const publishedAt = now - (n * 1.7 + siteIndex * 0.3 + 0.2) * DAY;
    const live = (await ctx.db.get("posts", postId))!;
    const before = publicationState(live);
    await ctx.db.patch("posts", postId, { publishedAt, updatedAt: publishedAt + (n % 5 === 2 ? 3 * DAY : 3_600_000) });
    await applyPublicationChange(ctx, siteId, postId, before, { ...before, publishedAt });
    slugs.push(live.slug);
    postIds.unshift(postId);
  }
  // Renames: the old addresses keep working as permanent redirects.
  const [postIndex, newPostSlug] = def.renames.post;
  await Posts.changeSlug(ctx, ownerActor, (await ctx.db.get("posts", postIds[postIndex]))!, newPostSlug);
  const [tagIndex, newTagName] = def.renames.tag;
  await Taxonomy.renameTerm(ctx, ownerActor, "tag", (await ctx.db.get("tags", tagIds[tagIndex]))!, { name: newTagName });
  const [categoryIndex, newCategoryName] = def.renames.category;
  await Taxonomy.renameTerm(ctx, ownerActor, "category", (await ctx.db.get("categories", categoryIds[categoryIndex]))!, {
    name: newCategoryName,
    description: def.categories[categoryIndex].description,
  });
  return def.posts.length;
}

/**
 * Seeds the demo publications once: a second call (or a call on a deployment that already has
 * the demo site) changes nothing. Trusted: for `npm start` and test setup, through the admin key.
 */
export const seedDemo = internalMutation({
  args: {},
  returns: v.object({ created: v.boolean(), sites: v.array(v.string()), posts: v.number() }),
  handler: async (ctx) => {
    const existing = await ctx.db
      .query("sites")
      .withIndex("by_slug", (q) => q.eq("slug", DEMO_MARKER_SLUG))
      .unique();
    if (existing) return { created: false, sites: SITES.map((s) => s.slug), posts: 0 };
    const now = Date.now();
    let posts = 0;
    for (let i = 0; i < SITES.length; i++) posts += await seedSite(ctx, SITES[i], i, now);
    return { created: true, sites: SITES.map((s) => s.slug), posts };
  },
});
