import { configFailureResponse, createApp } from "../app.js";
import { ConfigError } from "../../core/contracts/config-error.js";
import { scoringConfigFor } from "../../core/kernel/engines.js";
import { createEngineRegistry } from "../../core/kernel/registry.js";
import { loadEdgeConfig } from "../config.js";
import type { Logger } from "../ports.js";
import { consoleLogger } from "../console-logger.js";
import { artefactSource, referenceFor } from "../reference-source.js";
import { createKvCardStore } from "./kv-card-store.js";
import { kvDeadLetterStore, zonedDeadLetterStore } from "./kv-dead-letters.js";
import { createKvForwarder, listenForScoredEvents } from "./kv-queue.js";
import { residentForwarder, residentScorer } from "../residency.js";

// Builds the Deno edge: the same Hono app as on Workers (edge/app.ts) over Deno adapters: card
// state in Deno KV, forwarding through the KV queue, reference data from the same Upstash/snapshot
// adapters, config from Deno.env through the same zod loadEdgeConfig. Background work (forwarding
// after the response) is tracked so a shutdown can wait for it.
// Residency (edge/residency.ts), as on Workers: one KV per zone. EU-home cards' state and their
// queued events live in `kvEu` (DENO_KV_PATH_EU), every other card in `kv`; each KV has its own
// queue listener. Without `kvEu` one KV holds every card (single-zone deployments, local dev).

export interface DenoEdge {
  fetch(req: Request): Response | Promise<Response>;
  /** Waits for background work, stops the queue listener and closes KV. */
  close(): Promise<void>;
}

export interface DenoEdgeOptions {
  env: Record<string, string | undefined>;
  kv: Deno.Kv;
  /** The EU zone's KV (EU-home cards' state and events); default: `kv`. */
  kvEu?: Deno.Kv | undefined;
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
    const rules = { euBins: config.EU_CARD_BINS };
    // One reference source for the process: the route reads signals and active versions from it,
    // and the stores' engines load the rule sets and models those versions name through the same
    // instance (one cache; a snapshot the route loaded serves the artefacts too).
    const reference = referenceFor(config, log);
    const registry = createEngineRegistry(artefactSource(reference), { config: scoringConfigFor(env), clock: () => Date.now(), log });
    // Each zone's store enqueues its events on its own KV's queue, in the commit of the state.
    const store = createKvCardStore({ kv: o.kv, env, log, registry, region: config.REGION });
    const app = createApp({
      config,
      scorer: residentScorer({ default: store, eu: o.kvEu ? createKvCardStore({ kv: o.kvEu, env, log, registry, region: config.REGION }) : store }, rules),
      reference,
      // /v1/ops/dead-letters over every zone's parked letters; a redrive puts each record back on
      // its own zone's queue (EU-home events never leave the EU store).
      deadLetters: {
        store: zonedDeadLetterStore(o.kvEu ? [kvDeadLetterStore(o.kv), kvDeadLetterStore(o.kvEu)] : [kvDeadLetterStore(o.kv)]),
        queue: ((fwd) => residentForwarder({ default: fwd, eu: o.kvEu ? createKvForwarder(o.kvEu) : fwd }, rules))(createKvForwarder(o.kv)),
      },
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

  const kvs = o.kvEu && o.kvEu !== o.kv ? [o.kv, o.kvEu] : [o.kv];
  const listening = o.consume === false ? [] : kvs.map((kv) => listenForScoredEvents({ kv, env, log }));
  return {
    fetch: fetchFn,
    async close() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
      for (const kv of kvs) kv.close();
      await Promise.all(listening.map((l) => l.catch(() => undefined)));
    },
  };
}
