// The four published components issue #13 names, installed as their READMEs show. workpool and
// aggregate each bring their own nested @convex-dev/batch-worker.
import { defineApp } from "convex/server";
import aggregate from "@convex-dev/aggregate/convex.config";
import migrations from "@convex-dev/migrations/convex.config";
import shardedCounter from "@convex-dev/sharded-counter/convex.config";
import workpool from "@convex-dev/workpool/convex.config";

const app = defineApp();
app.use(workpool);
app.use(migrations);
app.use(shardedCounter);
app.use(aggregate);
export default app;
