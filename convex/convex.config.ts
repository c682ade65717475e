// The app's components: @convex-dev/rate-limiter holds the sign-in rate limits (convex/lib/rateLimits.ts)
// in its own tables, so a limit holds across every app server and worker. (Post sends do not use
// @convex-dev/workpool: its 5-minute recovery of dead jobs is too slow after a restart; ADR 013.)
import rateLimiter from "@convex-dev/rate-limiter/convex.config";
import { defineApp } from "convex/server";

const app = defineApp();
app.use(rateLimiter);
export default app;
