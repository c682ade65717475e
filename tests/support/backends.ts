/// <reference types="vite/client" />
// The two backends the app's Convex function tests run on: convex-test (the official mock) and
// our local backend (real storage, indexes, validation and limits) through its convex-test-style
// harness. Tests written against convex-test's interface run unchanged on both.
import rateLimiterComponent from "@convex-dev/rate-limiter/test";
import { convexTest as officialConvexTest } from "convex-test";
import { convexTest as localConvexTest } from "../../local-backend/src/testing";

export type ConvexTestFactory = typeof officialConvexTest;

/** The factory, with the app's components (convex/convex.config.ts) registered in every instance. */
function withComponents(factory: ConvexTestFactory): ConvexTestFactory {
  return ((...args: Parameters<ConvexTestFactory>) => {
    const t = factory(...args);
    rateLimiterComponent.register(t as never, "rateLimiter");
    return t;
  }) as ConvexTestFactory;
}

// Set CONVEX_BACKEND=local-backend (or convex-test) to run one backend while iterating.
const only = process.env.CONVEX_BACKEND;

export const backends: Array<[name: string, factory: ConvexTestFactory]> = ([
  ["convex-test", withComponents(officialConvexTest)],
  ["local-backend", withComponents(localConvexTest as unknown as ConvexTestFactory)],
] as Array<[string, ConvexTestFactory]>).filter(([name]) => !only || name === only);

/** Every module of the app's convex/ folder, as convex-test wants them. */
export const modules = import.meta.glob("../../convex/**/!(*.*.*)*.*s");
