// Drift test for the shared fixtures (issue #14): integration, browser, Convex and app test files
// keep only what they test. Backend start-up, JWT keys, sign-up helpers, cookie jars and mailbox
// readers live in tests/support/ (live-backend.ts, auth.ts, remix-app.ts, mailbox.ts) and
// tests/e2e/fixtures.ts. A file that needs its own copy is listed in ALLOWED with the reason.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";

// Integration and browser tests get every rule; Convex, app and tools tests (convex-test style, on `t`)
// only the start-up rules: there, reading an email through internal.emails.latestFor is the API.
const LIVE = ["tests/integration", "tests/e2e"];
const ALL = [...LIVE, "convex", "app", "tools"];

type Rule = { name: string; pattern: RegExp; use: string; folders?: string[] };

const RULES: Rule[] = [
  { name: "backend start-up", pattern: /LocalBackend\.start\(/, use: "startAppBackend / startAuthBackend (tests/support)", folders: ALL },
  { name: "JWT keys", pattern: /JWT_PRIVATE_KEY/, use: "startAuthBackend (tests/support/auth.ts)", folders: ALL },
  {
    name: "sign-up helper",
    pattern: /\bfunction\s+signUp\w*\s*\(|\b(?:const|let)\s+signUp\w*\s*=/,
    use: "signUpOverHttp, signUpThroughApp, appUser (tests/support) or the signUp fixture (tests/e2e/fixtures.ts)",
  },
  {
    name: "cookie jar",
    pattern: /\btype\s+Jar\s*=|\bfunction\s+(?:absorb|cookieHeader|setCookies)\s*\(/,
    use: "Jar, absorb, cookieHeader (tests/support/remix-app.ts)",
  },
  {
    name: "mailbox reader",
    // The outbox read by function or table, the dev mailbox page, or a code cut out of an email.
    pattern: /emails[:.]latestFor|query\("emails"\)|\/dev\/mailbox\?|\(\\d\{8\}\)/,
    use: "latestEmail / codeFor (tests/support/auth.ts) or codeFromMailbox (tests/support/mailbox.ts)",
  },
  {
    name: "sign-up form steps",
    pattern: /name:\s*"Create account"/,
    use: "the signUp fixture (tests/e2e/fixtures.ts)",
  },
  {
    // A spec with other worker fixtures runs in another worker group, out of file order: after the
    // specs that seed the demo, which broke home.test.ts's fresh-backend check once.
    name: "Playwright's own test",
    pattern: /import\s*\{[^}]*\btest\b[^}]*\}\s*from\s*"@playwright\/test"/,
    use: "test and expect from tests/e2e/fixtures.ts",
    folders: ["tests/e2e"],
  },
];

/** `file: rule` → why that file keeps its own copy. */
const ALLOWED: Record<string, string> = {
  "tests/integration/send-crash.test.ts: backend start-up":
    "the backend under test is a separate process it SIGKILLs (tests/support/backend-process.ts); it opens the data dir in-process only after that process is stopped, to recount the deliveries on disk",
  "tests/integration/content-import.test.ts: backend start-up":
    "as send-crash: the backend under test is a separate process it SIGKILLs mid-import; it opens the data dir in-process only after that process is stopped, to recount posts and tags on disk",
  "tests/integration/cli-components.test.ts: backend start-up":
    "tests the backend itself (its CLI and components) on fixture apps of its own, not the app's convex/",
  "tests/integration/oauth.test.ts: cookie jar":
    "the browser's part of the OAuth flow against the backend's and the fake IdP's HTTP endpoints (raw cookie values as fetch sees them), not the Remix app",
  "tests/integration/remix-auth.test.ts: mailbox reader": "tests the /dev/mailbox route itself",
  "tests/integration/auth-flows.test.ts: mailbox reader":
    "tests delivery through Resend: the code is read from the request the fake Resend API received",
  "tests/integration/platform-auth.test.ts: sign-up helper":
    "tests where the sign-up pages send a new account: it takes redirectTo from the /signup and /verify loaders as the pages do, which signUpThroughApp (it posts a redirectTo of its own) skips",
  "tests/e2e/platform-journey.test.ts: sign-up form steps":
    "the issue's journey: a new user from the platform home's Start a publication through the sign-up pages, which the signUp fixture starts past",
  "tests/e2e/auth.test.ts: sign-up form steps":
    "tests the sign-up pages themselves (headings, the token request, the cookies) step by step",
};

const ROOT = path.resolve(__dirname, "../..");
// local-backend/ is left out: its tests start the backend they test, on fixture apps of their own.

function testFiles(folder: string): string[] {
  return readdirSync(path.join(ROOT, folder), { recursive: true, encoding: "utf8" })
    .filter((f) => /\.test\.[cm]?[jt]sx?$/.test(f) && !/(^|[\\/])(node_modules|_generated)[\\/]/.test(f))
    .map((f) => path.posix.join(folder, f.split(path.sep).join("/")));
}

/** Every `file: rule` a test file breaks. */
function violations(files: Array<{ file: string; text: string }>): string[] {
  const out: string[] = [];
  for (const { file, text } of files) {
    for (const rule of RULES) {
      const inScope = (rule.folders ?? LIVE).some((folder) => file.startsWith(`${folder}/`));
      if (inScope && rule.pattern.test(text)) out.push(`${file}: ${rule.name}`);
    }
  }
  return out;
}

describe("shared test fixtures", () => {
  const files = ALL.flatMap(testFiles).map((file) => ({ file, text: readFileSync(path.join(ROOT, file), "utf8") }));
  const found = violations(files);

  test("the scan sees the integration and browser test files", () => {
    expect(files.map((f) => f.file)).toEqual(expect.arrayContaining(["tests/integration/auth-flows.test.ts", "tests/e2e/studio.test.ts", "convex/counters.test.ts"]));
  });

  test("no test file has its own backend start-up, JWT keys, sign-up helper, cookie jar or mailbox reader", () => {
    const unexplained = found.filter((v) => !(v in ALLOWED));
    expect(unexplained, `use the shared fixture instead: ${RULES.map((r) => `${r.name} → ${r.use}`).join("; ")}`).toEqual([]);
  });

  test("every allow-list entry is still needed", () => {
    expect(Object.keys(ALLOWED).filter((entry) => !found.includes(entry))).toEqual([]);
  });

  test("each rule catches the copy it is about", () => {
    const copies: Record<string, string> = {
      "backend start-up": `backend = await LocalBackend.start({ dataDir, convexDir: "convex", port: 0 });`,
      "JWT keys": `backend.env.set("JWT_PRIVATE_KEY", pem);`,
      "sign-up helper": `async function signUp(email: string) {}`,
      "cookie jar": `type Jar = Map<string, string>;`,
      "mailbox reader": `const code = /\\b(\\d{8})\\b/.exec(mail.text)[1];`,
      "sign-up form steps": `await page.getByRole("button", { name: "Create account" }).click();`,
      "Playwright's own test": `import { expect, test } from "@playwright/test";`,
    };
    expect(Object.keys(copies).sort()).toEqual(RULES.map((r) => r.name).sort());
    for (const [name, text] of Object.entries(copies)) {
      const file = name === "Playwright's own test" ? "tests/e2e/x.test.ts" : "tests/integration/x.test.ts";
      expect(violations([{ file, text }]), name).toEqual([`${file}: ${name}`]);
    }
    const file = "tests/integration/x.test.ts";
    // What the shared helpers' callers write is not a copy.
    expect(violations([{ file, text: `const jar = await signUpThroughApp(backend, email);\nconst code = await codeFor(backend, email, "verify-email");` }])).toEqual([]);
    // Convex tests: their own backend is a copy, reading an email through `t` is not.
    expect(violations([{ file: "convex/x.test.ts", text: `${copies["backend start-up"]}\n${copies["mailbox reader"]}` }])).toEqual([
      "convex/x.test.ts: backend start-up",
    ]);
  });
});
