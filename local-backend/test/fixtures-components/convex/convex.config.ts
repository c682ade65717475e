// The app: a local component (`counter`, which itself uses `ledger`) installed twice, and a
// published one. `counter` gets the app's K3_MODE variable by reference; `counter2` gets nothing.
import { defineApp } from "convex/server";
import { v } from "convex/values";
import rateLimiter from "@convex-dev/rate-limiter/convex.config";
import counter from "../counter/convex.config";

const app = defineApp({ env: { K3_MODE: v.optional(v.string()) } });
app.use(counter, { env: { MODE: app.env.K3_MODE }, httpPrefix: "/counter/" });
app.use(counter, { name: "counter2" });
app.use(rateLimiter);
export default app;
