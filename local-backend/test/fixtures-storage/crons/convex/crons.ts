// Cron jobs for local-backend/test/crons.test.ts (the test starts a CronRunner itself).
import { anyApi, cronJobs } from "convex/server";

const crons = cronJobs();
crons.interval("tick", { seconds: 1 }, anyApi.counter.bump, { by: 1 });
crons.daily("nightly", { hourUTC: 3, minuteUTC: 15 }, anyApi.counter.mark, { event: "nightly" });
// No minuteUTC: the backend picks a stable minute for this job.
crons.hourly("spread", anyApi.counter.mark, { event: "spread" });
export default crons;
