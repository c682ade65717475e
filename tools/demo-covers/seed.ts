// Uploads the demo publications' images (the PNGs next to this file) into Convex storage and
// attaches them (convex/demoDesign.ts). Mutations cannot store files, so this runs where the demo is
// seeded: tools/start.ts (through the backend's runner) and the e2e stack (through an admin client).
// Idempotent and cheap: it asks which images still have an empty slot and uploads only those, so a
// seeded deployment costs one query.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const DIR = path.dirname(fileURLToPath(import.meta.url));

/** Calls one internal Convex function by name ("demoDesign:missingImages") and returns its value. */
export type DemoCall = (kind: "query" | "mutation", name: string, args: Record<string, unknown>) => Promise<unknown>;

export async function seedDemoImages(call: DemoCall): Promise<{ uploaded: number; filled: number }> {
  const missing = (await call("query", "demoDesign:missingImages", {})) as string[];
  if (missing.length === 0) return { uploaded: 0, filled: 0 };
  const images = await Promise.all(
    missing.map(async (name) => {
      if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`unexpected demo image name ${JSON.stringify(name)}`);
      const bytes = await readFile(path.join(DIR, `${name}.png`));
      const url = (await call("mutation", "demoDesign:imageUploadUrl", {})) as string;
      const res = await fetch(url, { method: "POST", headers: { "Content-Type": "image/png" }, body: bytes });
      if (!res.ok) throw new Error(`uploading ${name}.png failed: ${res.status} ${await res.text()}`);
      const { storageId } = (await res.json()) as { storageId: string };
      return { name, storageId };
    }),
  );
  const { filled } = (await call("mutation", "demoDesign:attachImages", { images })) as { filled: number };
  return { uploaded: images.length, filled };
}

/** A DemoCall over the local backend's runner (tools/start.ts, tests): internal functions allowed. */
export function runnerCall(runner: {
  runQuery(path: string, args: any, opts: { allowInternal: boolean }): Promise<{ ok: true; valueJson: string } | { ok: false; message: string }>;
  runMutation(path: string, args: any, opts: { allowInternal: boolean }): Promise<{ ok: true; valueJson: string } | { ok: false; message: string }>;
}): DemoCall {
  return async (kind, name, args) => {
    const out = kind === "query" ? await runner.runQuery(name, args, { allowInternal: true }) : await runner.runMutation(name, args, { allowInternal: true });
    if (!out.ok) throw new Error(`${name}: ${out.message}`);
    return JSON.parse(out.valueJson);
  };
}

/** A DemoCall over an admin ConvexHttpClient (a deployment reached over HTTP, e.g. the e2e stack). */
export async function adminCall(url: string, adminKey: string): Promise<DemoCall> {
  const { ConvexHttpClient } = await import("convex/browser");
  const { makeFunctionReference } = await import("convex/server");
  const client = new ConvexHttpClient(url);
  (client as unknown as { setAdminAuth(key: string): void }).setAdminAuth(adminKey);
  return (kind, name, args) =>
    kind === "query" ? client.query(makeFunctionReference<"query">(name), args) : client.mutation(makeFunctionReference<"mutation">(name), args);
}

// `tsx tools/demo-covers/seed.ts <convex url>` with DEMO_ADMIN_KEY set: seeds the demo (demo:seedDemo,
// a no-op once seeded) and its images. The e2e stack (tests/e2e/start-stack.mjs) runs it.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [url] = process.argv.slice(2);
  const key = process.env.DEMO_ADMIN_KEY;
  if (!url || !key) {
    console.error("usage: DEMO_ADMIN_KEY=... tsx tools/demo-covers/seed.ts <convex url>");
    process.exit(2);
  }
  const call = await adminCall(url, key);
  await call("mutation", "demo:seedDemo", {});
  const r = await seedDemoImages(call);
  console.log(`[demo] images: ${r.uploaded} uploaded, ${r.filled} slots filled`);
}
