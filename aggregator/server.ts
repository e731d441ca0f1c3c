import { serve } from "@hono/node-server";
import { jsonLogger } from "./log.js";
import { ConfigError } from "../core/contracts/config-error.js";
import { describeConfig, loadConfig } from "./config.js";
import { compose } from "./main.js";

// `npm run aggregator`: the aggregator as a Node HTTP server. Configuration errors exit with
// status 2 and a list of every problem; SIGINT/SIGTERM shut down in order (stop taking requests,
// stop consumers after their current batch, flush the producer, close stores).

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      // One setting a line: an operator fixes them one by one.
      process.stderr.write(`invalid ${e.component} configuration:\n${e.problems.map((p) => `  - ${p.setting}: ${p.message}`).join("\n")}\n`);
      process.exit(2);
    }
    throw e;
  }
  const log = jsonLogger;
  log.info("AGGREGATOR_STARTING", { config: describeConfig(config) });
  const runtime = await compose(config, { log });
  const server = serve({ fetch: runtime.app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
    log.info("AGGREGATOR_LISTENING", { host: info.address, port: info.port, profile: config.VIGIL_PROFILE, sinks: config.VIGIL_SINKS, ingest: config.VIGIL_INGEST });
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("AGGREGATOR_STOPPING", { signal });
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Idle keep-alive connections would hold server.close() open.
    if ("closeIdleConnections" in server) server.closeIdleConnections();
    await Promise.race([closed, new Promise((r) => setTimeout(r, 5000))]);
    await runtime.close();
    log.info("AGGREGATOR_STOPPED", {});
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

main().catch((e: unknown) => {
  process.stderr.write(`${JSON.stringify({ level: "error", code: "AGGREGATOR_FAILED", error: e instanceof Error ? e.message : String(e) })}\n`);
  process.exit(1);
});
