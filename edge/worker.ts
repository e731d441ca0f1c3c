import type { ScoredEvent } from "../core/schemas.js";
import { CardState } from "../durable-objects/card-state.js";
import type { EngineEnv } from "../durable-objects/engines.js";
import { durableObjectScorer } from "../durable-objects/scorer.js";
import { configFailureResponse, createApp } from "./app.js";
import { ConfigError, loadEdgeConfig, type EdgeConfig } from "./config.js";
import { handleScoredEventBatch, type ForwardEnv } from "./forwarding/consumer.js";
import { createQueueForwarder } from "./forwarding/queue-forwarder.js";
import { consoleLogger, type CardScorer, type EdgeDeps, type Forwarder, type Logger, type ReferenceData } from "./ports.js";
import { createSnapshotReferenceData, httpSnapshotFetcher } from "./reference/snapshot-adapter.js";
import { createUpstashReferenceData } from "./reference/upstash.js";

// Cloudflare Workers entry: builds the app's dependencies from bindings and vars (once per
// isolate; waitUntil per request), consumes the scored-events queue, and exports the CardState
// Durable Object class.

export { CardState };

export interface Env extends EngineEnv, ForwardEnv {
  CARD_STATE: DurableObjectNamespace<CardState>;
  SCORED_EVENTS: Queue<ScoredEvent>;
  [setting: string]: unknown;
}

const log = consoleLogger({ service: "vigil-edge" });

interface Isolate {
  config: EdgeConfig;
  scorer: CardScorer;
  reference: ReferenceData;
  forwarder: Forwarder;
}

/** The reference adapter the configuration names; "none" answers UNAVAILABLE (never silently: the engine adds a reason). */
export function referenceFor(config: EdgeConfig, logger: Logger): ReferenceData {
  switch (config.REFERENCE_SOURCE) {
    case "upstash":
      return createUpstashReferenceData({
        url: config.UPSTASH_REDIS_REST_URL ?? "",
        token: config.UPSTASH_REDIS_REST_TOKEN ?? "",
        log: logger,
      });
    case "snapshot":
      return createSnapshotReferenceData({
        fetchSnapshot: httpSnapshotFetcher(config.REFERENCE_SNAPSHOT_URL ?? "", config.REFERENCE_SNAPSHOT_TOKEN ? { token: config.REFERENCE_SNAPSHOT_TOKEN } : {}),
        log: logger,
      });
    case "none":
      return { lookup: () => Promise.resolve({ signals: { status: "UNAVAILABLE" } }) };
  }
}

let cached: { env: Env; isolate: Isolate } | undefined;

function isolateFor(env: Env): Isolate {
  if (cached?.env === env) return cached.isolate;
  const config = loadEdgeConfig(env);
  const isolate: Isolate = {
    config,
    scorer: durableObjectScorer(env.CARD_STATE, {
      jurisdiction: config.CARD_STATE_JURISDICTION,
      locationHint: config.DO_LOCATION_HINT,
    }),
    reference: referenceFor(config, log),
    forwarder: createQueueForwarder(env.SCORED_EVENTS),
  };
  if (config.REFERENCE_SOURCE === "none") log.warn("REFERENCE_SOURCE_NONE", { region: config.REGION });
  cached = { env, isolate };
  return isolate;
}

export default {
  async fetch(req, env, ctx): Promise<Response> {
    let isolate: Isolate;
    try {
      isolate = isolateFor(env);
    } catch (err) {
      if (err instanceof ConfigError) return configFailureResponse(req, err, log);
      throw err;
    }
    const deps: EdgeDeps = {
      ...isolate,
      now: () => Date.now(),
      waitUntil: (p) => ctx.waitUntil(p),
      log,
    };
    return createApp(deps).fetch(req);
  },

  async queue(batch, env): Promise<void> {
    await handleScoredEventBatch(batch, env);
  },
} satisfies ExportedHandler<Env>;
