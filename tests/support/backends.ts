/// <reference types="vite/client" />
// The two backends the app's Convex function tests run on: convex-test (the official mock) and
// our local backend (real storage, indexes, validation and limits) through its convex-test-style
// harness. Tests written against convex-test's interface run unchanged on both.
import { convexTest as officialConvexTest } from "convex-test";
import { convexTest as localConvexTest } from "../../local-backend/src/testing";

export type ConvexTestFactory = typeof officialConvexTest;

// Set CONVEX_BACKEND=local-backend (or convex-test) to run one backend while iterating.
const only = process.env.CONVEX_BACKEND;

export const backends: Array<[name: string, factory: ConvexTestFactory]> = ([
  ["convex-test", officialConvexTest],
  ["local-backend", localConvexTest as unknown as ConvexTestFactory],
] as Array<[string, ConvexTestFactory]>).filter(([name]) => !only || name === only);

/** Every module of the app's convex/ folder, as convex-test wants them. */
export const modules = import.meta.glob("../../convex/**/!(*.*.*)*.*s");
