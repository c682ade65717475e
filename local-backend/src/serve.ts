import { exportJWK, exportPKCS8, generateKeyPair } from "jose";
import { LocalBackend } from "./backend.js";
import { startHeapTrim } from "./heapTrim.js";

// `local-backend serve` as a function, for the CLI (cli.ts) and for launchers built on the backend
// (the app's `npm start`, tools/start.ts): same start-up, same log lines.

/**
 * @convex-dev/auth needs JWT_PRIVATE_KEY, JWKS and SITE_URL in the function environment. A fresh data
 * dir gets an RS256 key pair and SITE_URL = the app's address; values already set are kept (both
 * keys are replaced together when either is missing). Nothing secret is printed.
 */
export async function ensureAuthEnv(backend: LocalBackend, appPort: string): Promise<void> {
  const env = backend.env.all();
  if (!env.JWT_PRIVATE_KEY || !env.JWKS) {
    const keys = await generateKeyPair("RS256", { extractable: true });
    const jwk = await exportJWK(keys.publicKey);
    backend.env.set("JWT_PRIVATE_KEY", (await exportPKCS8(keys.privateKey)).trimEnd().replace(/\n/g, " "));
    backend.env.set("JWKS", JSON.stringify({ keys: [{ use: "sig", ...jwk }] }));
    console.log("[local-backend] generated an RS256 key pair for @convex-dev/auth (JWT_PRIVATE_KEY, JWKS)");
  }
  if (!env.SITE_URL) {
    const siteUrl = `http://127.0.0.1:${appPort}`;
    backend.env.set("SITE_URL", siteUrl);
    console.log(`[local-backend] SITE_URL=${siteUrl}`);
  }
}

export interface ServeOptions {
  /** The functions folder (resolved), or undefined: serve what the official CLI last pushed. */
  convexDir?: string;
  /** How the log line names the folder (the --convex-dir flag as given). */
  convexDirLabel?: string;
  dataDir: string;
  port: number;
  /** The app's port, for SITE_URL on a fresh data dir. */
  appPort: string;
  watch: boolean;
  /** One log line per function call, with its console output (default true; `npm start` only with --verbose). */
  logCalls?: boolean;
  /** More of the function environment a launcher provisions before the first request (the app's own secrets). */
  prepare?: (backend: LocalBackend) => Promise<void> | void;
}

let heapTrim: ReturnType<typeof startHeapTrim> | null = null;

/** Starts the backend on 127.0.0.1 (with call logging unless `logCalls: false`) and prints where it serves. */
export async function serveBackend(o: ServeOptions): Promise<LocalBackend> {
  // tsx turns on Node's source maps; the backend then imports every bundle it serves (~20 MB with
  // inline maps) and the first stack traces through them decode those maps for good: measured, an
  // idle backend's heap 152 → 92 MB and RSS 330 → 248 MB without them (issue #17). User functions'
  // errors come from the isolate workers, which this does not change. NODE_OPTIONS=--enable-source-maps keeps them.
  if (!`${process.execArgv.join(" ")} ${process.env.NODE_OPTIONS ?? ""}`.includes("--enable-source-maps")) process.setSourceMapsEnabled(false);
  const backend = await LocalBackend.start({
    convexDir: o.convexDir,
    dataDir: o.dataDir,
    port: o.port,
    host: "127.0.0.1",
    watch: o.watch,
    logCalls: o.logCalls ?? true,
    // Before the first request: on a fresh data dir, a sign-in must not arrive before the keys.
    prepare: async (b) => {
      await ensureAuthEnv(b, o.appPort);
      await o.prepare?.(b);
    },
  });
  // One per process (a served backend owns its process; tests that embed LocalBackend do not trim).
  heapTrim ??= startHeapTrim();
  console.log(`[local-backend] serving ${o.convexDir ? o.convexDirLabel ?? o.convexDir : "the last CLI push"} at ${backend.url} (data: ${o.dataDir})`);
  console.log(`[local-backend] HTTP actions (CONVEX_SITE_URL) at ${backend.siteUrl}`);
  // The admin key is a secret (full access to data and deploys): never in logs, which get pasted
  // into issues and CI output. It stays in the data dir's database; this command prints it.
  console.log(`[local-backend] admin key: \`npm run -s local-backend -- admin-key --data-dir ${o.dataDir}\``);
  return backend;
}

/** Set on SIGINT/SIGTERM: children that exit from here on are being stopped, not failing. */
let stopping = false;

export function isStopping(): boolean {
  return stopping;
}

/** Runs `fn` once on SIGINT/SIGTERM, then exits (0, or 1 when it fails). */
export function onShutdown(fn: () => Promise<void>): void {
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.on(sig, () => {
      if (stopping) return;
      stopping = true;
      fn().then(
        () => process.exit(0),
        (e) => {
          console.error(e);
          process.exit(1);
        },
      );
    });
  }
}
