// @vitest-environment edge-runtime
// Runs the conformance suite against the official mock, convex-test (the
// oracle). Cases where convex-test deviates from real Convex are not
// registered here (reference: true); see cases.ts.
import { convexTest } from "convex-test";
import { defineConformanceSuite } from "./cases";

defineConformanceSuite(convexTest, { reference: true });
