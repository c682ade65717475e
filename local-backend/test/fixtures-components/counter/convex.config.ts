import { defineComponent } from "convex/server";
import { v } from "convex/values";
import ledger from "../ledger/convex.config";

const component = defineComponent("counter", { env: { MODE: v.optional(v.string()) } });
component.use(ledger, { env: { PREFIX: "c:" }, httpPrefix: "/ledger/" });
export default component;
