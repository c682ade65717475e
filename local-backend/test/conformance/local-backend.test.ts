// The conformance suite against the local backend: the same cases as convex-test.test.ts, through
// our convex-test-compatible harness, with real Convex semantics where convex-test deviates.
import { convexTest } from "../../src/testing.js";
import { defineConformanceSuite } from "./cases.js";

defineConformanceSuite(convexTest as unknown as typeof import("convex-test").convexTest, { reference: false });
