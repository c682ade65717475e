// Uses a component folder that does not exist: loading must fail with esbuild's resolve error.
import { defineApp } from "convex/server";
// @ts-expect-error -- the folder is missing on purpose
import missing from "../missing/convex.config";

const app = defineApp();
app.use(missing);
export default app;
