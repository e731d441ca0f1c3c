import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare, type V4WorkerOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { z } from "zod";

// The edge of `npm start`: the Worker exactly as `wrangler deploy --dry-run` bundles it, run by
// the Miniflare API directly (local workerd) instead of `wrangler dev`. The bindings (vars, the
// CardState namespace with SQLite storage, queue producer and consumer) come from wrangler.toml
// through wrangler's own reader, so nothing is configured twice. Two things differ from
// `wrangler dev`, and they are why this exists: no proxy worker in front of the edge (every
// request to wrangler dev crosses an extra Node HTTP hop), and the local queue's batch timeout.
// Miniflare's queue broker dispatches one batch at a time and, below a full batch, waits the
// whole max_batch_timeout (2 s in wrangler.toml, right for production) before dispatching: that
// capped forwarding at ~50 events/s. Locally a timeout of 0 hands the consumer whatever has piled
// up while the previous batch was being posted (1 message when idle, up to 100 under load).

const root = resolve(import.meta.dirname, "../..");
const { values } = parseArgs({
  options: {
    port: { type: "string" },
    "env-file": { type: "string" },
    "persist-to": { type: "string" },
    "batch-timeout": { type: "string", default: "0" },
  },
});
const port = z.coerce.number().int().min(1).max(65535).parse(values.port);
const persist = z.string().min(1).parse(values["persist-to"]);
const batchTimeout = z.coerce.number().min(0).max(60).parse(values["batch-timeout"]);
const outDir = join(persist, "bundle");

/** KEY=value lines (values may be single-quoted), as `wrangler dev --env-file` reads them. */
function readEnvFile(file: string | undefined): Record<string, string> {
  if (!file) return {};
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (!m) continue;
    const v = m[2]!;
    out[m[1]!] = v.startsWith("'") && v.endsWith("'") ? v.slice(1, -1) : v;
  }
  return out;
}

function bundle(): string {
  const r = spawnSync(join(root, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--env", "", "--outdir", outDir], {
    cwd: root,
    // its binding table goes to the log only when the build fails
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  if (r.status !== 0) throw new Error(`wrangler deploy --dry-run exited ${r.status}: ${String(r.stdout).slice(-2000)}`);
  return join(outDir, "entry.js");
}

async function main(): Promise<void> {
  const script = bundle();
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(root, "wrangler.toml"), undefined);
  const consumers = Object.fromEntries(
    Object.entries(workerOptions.queueConsumers ?? {}).map(([queue, c]) => [queue, { ...(c as object), maxBatchTimeout: batchTimeout }]),
  );
  // One bundled module: wrangler's module rules (for unbundled sources) do not apply.
  const { modulesRules: _rules, ...fromToml } = workerOptions as Record<string, unknown>;
  const worker = {
    ...fromToml,
    name: "vigil-edge",
    modules: true,
    scriptPath: script,
    modulesRoot: outDir,
    bindings: { ...(fromToml.bindings as Record<string, unknown>), ...readEnvFile(values["env-file"]) },
    queueConsumers: consumers,
  } as V4WorkerOptions;
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      ...worker,
      host: "127.0.0.1",
      port,
      // no request.cf fetched from Cloudflare at start (offline machines): a placeholder
      cf: false,
      // Durable Object SQLite files persist between runs, like `wrangler dev --persist-to`.
      resourcePersistencePath: join(persist, "state"),
      log: new Log(LogLevel.WARN),
    }),
  );
  const url = await mf.ready;
  process.stdout.write(`edge (miniflare) ready on ${url.href}; queue batch timeout ${batchTimeout} s\n`);
  const stop = () => {
    mf.dispose().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`edge failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
