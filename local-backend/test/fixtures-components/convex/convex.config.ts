// The app: a local component (`counter`, which itself uses `ledger`) and a published one.
import { defineApp } from "convex/server";
import rateLimiter from "@convex-dev/rate-limiter/convex.config";
import counter from "../counter/convex.config";

const app = defineApp();
app.use(counter);
app.use(counter, { name: "counter2" });
app.use(rateLimiter);
export default app;
