import { createEngineRegistry, type EngineRegistry } from "../../core/kernel/registry.js";
import { scoringConfigFor, type EngineEnv } from "../../core/kernel/engines.js";
import { CardStateObject } from "../../durable-objects/card-state.js";
import { loadReferenceSettings } from "../config.js";
import { consoleLogger } from "../console-logger.js";
import { artefactSource, referenceFor } from "../reference-source.js";

// The Workers wiring of the CardState Durable Object: the class wrangler.toml binds
// (class_name = "CardState"), exported by the vigil-card-state Worker (state-entry.ts) and, for
// local dev and tests, by the edge Worker (entry.ts). The object itself (durable-objects/)
// imports core only; what is Workers- and deployment-specific is built here from its env: the
// engine registry over the reference source's artefact loaders (rule sets and model files by
// version; never signals or active versions, which the route reads and passes in each item) and
// the console logger.

const log = consoleLogger({ service: "vigil-card-state" });
const engineLog = consoleLogger({ service: "vigil-edge", component: "engines" });
let cached: { env: EngineEnv; registry: EngineRegistry } | undefined;

/** The registry of this env (once per isolate); without a readable reference source it still scores (bundled engine, with reasons). */
export function registryFromEnv(env: EngineEnv): EngineRegistry {
  if (cached?.env === env) return cached.registry;
  const options = { config: scoringConfigFor(env), clock: () => Date.now(), log: engineLog };
  let registry: EngineRegistry;
  try {
    registry = createEngineRegistry(artefactSource(referenceFor(loadReferenceSettings(env), engineLog)), options);
  } catch (err) {
    // Decisions still say they were scored by the bundled engine (fallback reason); this says why.
    engineLog.error("ENGINE_REGISTRY_UNAVAILABLE", { error: err instanceof Error ? err.message.slice(0, 300) : "unknown" });
    registry = createEngineRegistry(undefined, options);
  }
  cached = { env, registry };
  return registry;
}

export class CardState extends CardStateObject {
  constructor(ctx: DurableObjectState, env: EngineEnv) {
    super(ctx, env, { engines: registryFromEnv(env), log });
  }
}
