// The app's components: @convex-dev/rate-limiter holds the sign-in rate limits (convex/lib/rateLimits.ts)
// in its own tables, so a limit holds across every app server and worker; @convex-dev/workpool runs
// post sends' provider batches with retries and backoff (convex/model/sendsPipeline.ts, ADR 013).
import rateLimiter from "@convex-dev/rate-limiter/convex.config";
import workpool from "@convex-dev/workpool/convex.config";
import { defineApp } from "convex/server";

const app = defineApp();
app.use(rateLimiter);
app.use(workpool, { name: "emailWorkpool" });
export default app;
