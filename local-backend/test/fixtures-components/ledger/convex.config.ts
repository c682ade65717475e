import { defineComponent } from "convex/server";
import { v } from "convex/values";

export default defineComponent("ledger", { env: { PREFIX: v.optional(v.string()) } });
