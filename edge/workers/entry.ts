import { AsyncLocalStorage } from "node:async_hooks";
import type { ScoredEvent } from "../../core/schemas.js";
import { CardState } from "../../durable-objects/card-state.js";
import type { EngineEnv } from "../scoring/engines.js";
import { residentDurableObjectScorer } from "./card-scorer.js";
import { configFailureResponse, createApp } from "../app.js";
import { ConfigError, loadEdgeConfig, type EdgeConfig } from "../config.js";
import { handleScoredEventBatch, type ForwardEnv } from "../forwarding/consumer.js";
import { createQueueForwarder } from "./queue-producer.js";
import { consoleLogger, type Forwarder, type ReferenceData } from "../ports.js";
import type { CardScorer } from "../../core/contracts/scoring.js";
import { referenceFor } from "../reference-source.js";
import { residentForwarder } from "../residency.js";

// Cloudflare Workers entry: builds the app's dependencies from bindings and vars (once per
// isolate; waitUntil per request) and consumes this region's scored-events queue. Card state is
// the CardState namespace every region shares (bound with script_name to the vigil-card-state
// Worker in deployed environments; owned by this Worker in local dev and tests, hence the export).

export { CardState };

export interface Env extends EngineEnv, ForwardEnv {
  CARD_STATE: DurableObjectNamespace<CardState>;
  /** This region's scored-events queue. */
  SCORED_EVENTS: Queue<ScoredEvent>;
  /** The EU queue, for EU-home cards' events from every region (absent: SCORED_EVENTS, as in local dev). */
  SCORED_EVENTS_EU?: Queue<ScoredEvent>;
  [setting: string]: unknown;
}

const log = consoleLogger({ service: "vigil-edge" });

interface Isolate {
  config: EdgeConfig;
  scorer: CardScorer;
  reference: ReferenceData;
  forwarder: Forwarder;
}


/** Local workerd has no jurisdictions: that (or any refusal) is a configuration error naming the setting. */
function placedScorer(env: Env, config: EdgeConfig): CardScorer {
  try {
    return residentDurableObjectScorer(env.CARD_STATE, {
      euJurisdiction: config.EU_CARD_JURISDICTION,
      locationHint: config.DO_LOCATION_HINT,
      rules: { euBins: config.EU_CARD_BINS },
    });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ConfigError(["EU_CARD_JURISDICTION"], `EU_CARD_JURISDICTION=${config.EU_CARD_JURISDICTION}: ${why} (local workerd: set "none")`);
  }
}

/** EU-home cards' events go to the EU queue whichever region scored them; the rest to this region's. */
function placedForwarder(env: Env, config: EdgeConfig): Forwarder {
  const own = createQueueForwarder(env.SCORED_EVENTS);
  const eu = env.SCORED_EVENTS_EU && env.SCORED_EVENTS_EU !== env.SCORED_EVENTS ? createQueueForwarder(env.SCORED_EVENTS_EU) : own;
  return residentForwarder({ default: own, eu }, { euBins: config.EU_CARD_BINS });
}

// The Hono app is built once per isolate too: building it per request recompiled its router on
// every request (~0.5 ms CPU each, measured by npm run bench:edge:profile). The request's own
// ExecutionContext reaches deps.waitUntil through AsyncLocalStorage.
type EdgeApp = ReturnType<typeof createApp>;
const requestCtx = new AsyncLocalStorage<ExecutionContext>();
let cached: { env: Env; app: EdgeApp } | undefined;

function appFor(env: Env): EdgeApp {
  if (cached?.env === env) return cached.app;
  const waitUntil = (p: Promise<unknown>) => {
    const ctx = requestCtx.getStore();
    if (!ctx) throw new Error("waitUntil outside a request");
    ctx.waitUntil(p);
  };
  const app = createApp({ ...isolateFor(env), now: () => Date.now(), waitUntil, log });
  cached = { env, app };
  return app;
}

function isolateFor(env: Env): Isolate {
  const config = loadEdgeConfig(env);
  const isolate: Isolate = {
    config,
    scorer: placedScorer(env, config),
    reference: referenceFor(config, log),
    forwarder: placedForwarder(env, config),
  };
  if (config.REFERENCE_SOURCE === "none") log.warn("REFERENCE_SOURCE_NONE", { region: config.REGION });
  return isolate;
}

export default {
  async fetch(req, env, ctx): Promise<Response> {
    let app: EdgeApp;
    try {
      app = appFor(env);
    } catch (err) {
      if (err instanceof ConfigError) return configFailureResponse(req, err, log);
      throw err;
    }
    return requestCtx.run(ctx, () => app.fetch(req));
  },

  async queue(batch, env): Promise<void> {
    await handleScoredEventBatch(batch, env);
  },
} satisfies ExportedHandler<Env>;
