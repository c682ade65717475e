// ESLint (flat config): `npm run lint`, run first by `npm test`. Only rules that back a project rule;
// formatting is not linted. Type-aware rules (they build the TypeScript program, the slow part) run on
// convex/ and app/, where a floating promise or an untyped table id is a production bug; tests/ and
// local-backend/ get the syntactic rules only, which keeps `npm run lint` short (README: lint time).
import convexPlugin from "@convex-dev/eslint-plugin";
import reactHooks from "eslint-plugin-react-hooks";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

const TYPED = ["convex/**/*.ts", "app/**/*.ts", "app/**/*.tsx"];

export default defineConfig(
  {
    ignores: [
      "**/_generated/**",
      "**/node_modules/**",
      "build/**",
      "public/**",
      "test-results/**",
      "playwright-report/**",
      ".data/**",
    ],
  },
  {
    // A disable comment must name a rule that exists (ESLint reports unknown rules) and, in our own
    // code, one that still fires. The local backend's tests keep no-explicit-any comments from before
    // this config: they use `any` freely and the rule is not on.
    linterOptions: { reportUnusedDisableDirectives: "error" },
  },
  {
    files: ["local-backend/**"],
    linterOptions: { reportUnusedDisableDirectives: "off" },
  },
  {
    files: ["**/*.ts", "**/*.tsx"],
    languageOptions: { parser: tseslint.parser },
    plugins: { "@typescript-eslint": tseslint.plugin },
    rules: {
      "no-control-regex": "error",
    },
  },
  {
    files: TYPED,
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // An un-awaited promise loses its error (and, in a Convex function, may outlive the call).
      "@typescript-eslint/no-floating-promises": "error",
    },
  },
  {
    files: ["**/*.tsx", "app/**/*.ts"],
    plugins: { "react-hooks": reactHooks },
    rules: {
      "react-hooks/rules-of-hooks": "error",
      "react-hooks/exhaustive-deps": "error",
    },
  },
  {
    // Env vars are read through one typed module per side: convex/env.ts (Convex functions, read at
    // call time) and app/env.server.ts (the app server). Tests, tools and the backend read their own.
    files: TYPED,
    ignores: ["convex/env.ts", "app/env.server.ts", "**/*.test.ts"],
    rules: {
      "no-restricted-properties": [
        "error",
        {
          object: "process",
          property: "env",
          message: "Read env vars through convex/env.ts (in convex/) or app/env.server.ts (in app/).",
        },
      ],
    },
  },
  {
    // The Convex plugin's rules, for the app's functions only (the local backend's test fixtures under
    // local-backend/**/convex exercise old and odd forms on purpose).
    files: ["convex/**/*.ts"],
    plugins: { "@convex-dev": convexPlugin },
    rules: {
      // The plugin's recommended set (5.0.0), written out: its `configs.recommended` depends on how
      // the module was loaded. import-wrong-runtime and require-access-control are off there too.
      "@convex-dev/no-old-registered-function-syntax": "error",
      "@convex-dev/require-args-validator": "error",
      "@convex-dev/no-filter-in-query": "error",
      "@convex-dev/no-top-of-hour-crons": "error",
      "@convex-dev/no-schema-import-cycle": "error",
      "@convex-dev/no-duplicate-indexes": "error",
      // ctx.db.get/patch/replace/delete name their table: `ctx.db.get("posts", id)`. Since convex
      // 1.48 a wrong table throws instead of returning another table's document.
      "@convex-dev/explicit-table-ids": "error",
      // Off: it points at the generated `env`; convex/env.ts is ours (no-restricted-properties above).
      "@convex-dev/no-process-env": "off",
      // Functions call each other through internal.*: a call through api.* runs a public function
      // with its public checks (convex/architecture.test.ts checks the same).
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/_generated/api", "**/_generated/api.js"],
              importNames: ["api"],
              message: "Call other functions through internal.* from inside convex/.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["convex/**/*.test.ts"],
    rules: { "no-restricted-imports": "off" },
  },
);
