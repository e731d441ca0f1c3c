import { AsyncLocalStorage } from "node:async_hooks";
import type { ScoredEvent } from "../../core/schemas.js";
import { DeadLetterBox } from "../../durable-objects/dead-letter-box.js";
import { CardState } from "./card-state.js";
import { parkDeadLetterBatch } from "../forwarding/dead-letters.js";
import { createQueueForwarder } from "./queue-producer.js";
import { regionDeadLetters } from "./dead-letter-store.js";
import type { EngineEnv } from "../../core/kernel/engines.js";
import { residentDurableObjectScorer } from "./card-scorer.js";
import { configFailureResponse, createApp } from "../app.js";
import { ConfigError } from "../../core/contracts/config-error.js";
import { loadEdgeConfig, type EdgeConfig } from "../config.js";
import { handleScoredEventBatch, type ForwardEnv } from "../forwarding/consumer.js";
import type { ReferenceData } from "../ports.js";
import { consoleLogger } from "../console-logger.js";
import type { CardScorer } from "../../core/contracts/scoring.js";
import { referenceFor } from "../reference-source.js";

// Cloudflare Workers entry: builds the app's dependencies from bindings and vars (once per
// isolate; waitUntil per request) and consumes this region's scored-events queue. Card state is
// the CardState namespace every region shares (bound with script_name to the vigil-card-state
// Worker in deployed environments; owned by this Worker in local dev and tests, hence the export).

export { CardState, DeadLetterBox };

export interface Env extends EngineEnv, ForwardEnv {
  CARD_STATE: DurableObjectNamespace<CardState>;
  /** This region's scored-events queue. */
  SCORED_EVENTS: Queue<ScoredEvent>;
  /** The EU queue, for EU-home cards' events from every region (absent: SCORED_EVENTS, as in local dev). */
  SCORED_EVENTS_EU?: Queue<ScoredEvent>;
  /** The region's dead-letter box (DeadLetterBox, owned by vigil-card-state like CARD_STATE). */
  DEAD_LETTERS?: DurableObjectNamespace<DeadLetterBox>;
  [setting: string]: unknown;
}

const log = consoleLogger({ service: "vigil-edge" });

interface Isolate {
  config: EdgeConfig;
  scorer: CardScorer;
  reference: ReferenceData;
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
    throw new ConfigError("edge", [{ setting: "EU_CARD_JURISDICTION", message: `${config.EU_CARD_JURISDICTION}: ${why} (local workerd: set "none")` }]);
  }
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
  const store = regionDeadLetters(env);
  const deadLetters = store ? { store, queue: createQueueForwarder(env.SCORED_EVENTS) } : undefined;
  const app = createApp({ ...isolateFor(env), ...(deadLetters ? { deadLetters } : {}), now: () => Date.now(), waitUntil, log });
  cached = { env, app };
  return app;
}

function isolateFor(env: Env): Isolate {
  const config = loadEdgeConfig(env);
  const isolate: Isolate = {
    config,
    scorer: placedScorer(env, config),
    reference: referenceFor(config, log),
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
    // This region's dead-letter queue has this Worker as its one consumer: park, never drop.
    if (batch.queue.endsWith("-dlq")) {
      const store = regionDeadLetters(env);
      if (!store) {
        log.error("DEAD_LETTERS_UNBOUND", { queue: batch.queue, received: batch.messages.length });
        batch.retryAll({ delaySeconds: 3600 });
        return;
      }
      await parkDeadLetterBatch(batch, store, log);
      return;
    }
    await handleScoredEventBatch(batch, env);
  },
} satisfies ExportedHandler<Env>;
