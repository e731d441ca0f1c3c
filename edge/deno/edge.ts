import { configFailureResponse, createApp } from "../app.js";
import { ConfigError, loadEdgeConfig } from "../config.js";
import { consoleLogger, type Logger } from "../ports.js";
import { referenceFor } from "../reference-source.js";
import { createKvCardStore } from "./kv-card-store.js";
import { createKvForwarder, listenForScoredEvents } from "./kv-queue.js";

// Builds the Deno edge: the same Hono app as on Workers (edge/app.ts) over Deno adapters: card
// state in Deno KV, forwarding through the KV queue, reference data from the same Upstash/snapshot
// adapters, config from Deno.env through the same zod loadEdgeConfig. Background work (forwarding
// after the response) is tracked so a shutdown can wait for it.

export interface DenoEdge {
  fetch(req: Request): Response | Promise<Response>;
  /** Waits for background work, stops the queue listener and closes KV. */
  close(): Promise<void>;
}

export interface DenoEdgeOptions {
  env: Record<string, string | undefined>;
  kv: Deno.Kv;
  log?: Logger;
  /** Run the KV queue listener that posts to the aggregator (default true). */
  consume?: boolean;
}

export function createDenoEdge(o: DenoEdgeOptions): DenoEdge {
  const log = o.log ?? consoleLogger({ service: "vigil-edge", runtime: "deno" });
  const pending = new Set<Promise<unknown>>();
  const waitUntil = (p: Promise<unknown>) => {
    const tracked = p.catch((err: unknown) => log.error("BACKGROUND_FAILED", { error: err instanceof Error ? err.message : String(err) }));
    pending.add(tracked);
    void tracked.finally(() => pending.delete(tracked));
  };
  const env: Record<string, unknown> = Object.fromEntries(Object.entries(o.env).filter(([, v]) => v !== undefined));

  let fetchFn: (req: Request) => Response | Promise<Response>;
  try {
    const config = loadEdgeConfig(env);
    if (config.REFERENCE_SOURCE === "none") log.warn("REFERENCE_SOURCE_NONE", { region: config.REGION });
    const app = createApp({
      config,
      scorer: createKvCardStore({ kv: o.kv, env, log }),
      reference: referenceFor(config, log),
      forwarder: createKvForwarder(o.kv),
      now: () => Date.now(),
      waitUntil,
      log,
    });
    fetchFn = (req) => app.fetch(req);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // As on Workers: every request answers 500 CONFIG_INVALID naming the settings (never values).
    const configErr = err;
    fetchFn = (req) => configFailureResponse(req, configErr, log);
  }

  const listening = o.consume === false ? undefined : listenForScoredEvents({ kv: o.kv, env, log });
  return {
    fetch: fetchFn,
    async close() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
      o.kv.close();
      if (listening) await listening.catch(() => undefined);
    },
  };
}
