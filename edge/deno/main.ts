import { consoleLogger } from "../console-logger.js";
import { createDenoEdge } from "./edge.js";

// Deno entry: `Deno.serve` the same Hono app as the Workers entry (edge/workers/entry.ts), built over the
// Deno adapters in edge/deno/. Settings come from the environment (the same names as wrangler vars
// and secrets) plus:
//   PORT (8790), HOST (127.0.0.1), DENO_KV_PATH (.data/deno-kv/vigil.sqlite3; ":memory:" for tests),
//   DENO_KV_PATH_EU (the EU zone's KV: EU-home cards' state and events; unset: DENO_KV_PATH holds all),
//   FORWARD_CONSUMER ("off" leaves queued events for another process's listener).
// Run: `npm run dev:deno` or `deno task serve` (needs --unstable-kv, set in deno.json).

const log = consoleLogger({ service: "vigil-edge", runtime: "deno" });
const env = Deno.env.toObject();
const port = Number(env.PORT ?? "8790");
const hostname = env.HOST ?? "127.0.0.1";
const kvPath = env.DENO_KV_PATH ?? ".data/deno-kv/vigil.sqlite3";

const kvPathEu = env.DENO_KV_PATH_EU || undefined;

async function openKv(path: string): Promise<Deno.Kv> {
  if (path !== ":memory:") {
    const dir = path.slice(0, Math.max(0, path.lastIndexOf("/")));
    if (dir) await Deno.mkdir(dir, { recursive: true });
  }
  return await Deno.openKv(path);
}

if (kvPathEu !== undefined && kvPathEu === kvPath && kvPath !== ":memory:") {
  log.error("CONFIG_INVALID", { settings: "DENO_KV_PATH_EU", error: "DENO_KV_PATH_EU must name another store than DENO_KV_PATH (or be unset)" });
  Deno.exit(1);
}
const kv = await openKv(kvPath);
const kvEu = kvPathEu === undefined ? undefined : await openKv(kvPathEu);
if (!kvEu) log.warn("RESIDENCY_SINGLE_STORE", { detail: "DENO_KV_PATH_EU unset: EU-home cards share DENO_KV_PATH" });
const edge = createDenoEdge({ env, kv, kvEu, log, consume: env.FORWARD_CONSUMER !== "off" });

const server = Deno.serve({ port, hostname, onListen: (a) => log.info("LISTENING", { url: `http://${a.hostname}:${a.port}`, kv: kvPath, kv_eu: kvPathEu ?? null }) }, (req) => edge.fetch(req));

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  log.info("STOPPING", { signal });
  await server.shutdown();
  await edge.close();
  Deno.exit(0);
};
for (const sig of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(sig, () => void stop(sig));
