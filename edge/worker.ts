import type { ScoredEvent } from "../core/schemas.js";
import { CardState } from "../durable-objects/card-state.js";
import type { EngineEnv } from "../durable-objects/engines.js";
import { durableObjectScorer } from "../durable-objects/scorer.js";
import { configFailureResponse, createApp } from "./app.js";
import { ConfigError, loadEdgeConfig, type EdgeConfig } from "./config.js";
import { consoleLogger, type CardScorer, type EdgeDeps, type Forwarder, type ReferenceData } from "./ports.js";

// Cloudflare Workers entry: builds the app's dependencies from bindings and vars (once per
// isolate; waitUntil per request) and exports the CardState Durable Object class.

export { CardState };

export interface Env extends EngineEnv {
  CARD_STATE: DurableObjectNamespace<CardState>;
  SCORED_EVENTS: Queue<ScoredEvent>;
  REGION?: string;
  EDGE_TOKENS?: string;
  [setting: string]: unknown;
}

const log = consoleLogger({ service: "vigil-edge" });

interface Isolate {
  config: EdgeConfig;
  scorer: CardScorer;
  reference: ReferenceData;
  forwarder: Forwarder;
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
    // TEMPORARY until edge-B's adapters land (edge/reference, edge/forwarding): not the final wiring.
    reference: { lookup: () => Promise.resolve({ signals: { status: "UNAVAILABLE" } }) },
    forwarder: {
      async forward(records) {
        await env.SCORED_EVENTS.sendBatch(records.map((body) => ({ body, contentType: "json" as const })));
      },
    },
  };
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
} satisfies ExportedHandler<Env>;
