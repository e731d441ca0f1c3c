import { loadEdgeConfig } from "../edge/config.js";
import { createEngineRegistry } from "../edge/engines.js";
import { consoleLogger } from "../edge/ports.js";
import { referenceFor } from "../edge/reference-source.js";
import { edgeScoringConfig, type EngineEnv, type EngineRegistry } from "./engines.js";

// The CardState object's engine registry: rule sets by version from the same reference source the
// worker reads (edge/engines.ts compiles and caches them). Built once per env (isolate).

const log = consoleLogger({ service: "vigil-edge", component: "card-state" });

let cached: { env: EngineEnv; registry: EngineRegistry | undefined } | undefined;

/** undefined when no source can serve rule sets (REFERENCE_SOURCE none, or a bad setting: logged). */
export function registryFromEnv(env: EngineEnv): EngineRegistry | undefined {
  if (cached?.env === env) return cached.registry;
  let registry: EngineRegistry | undefined;
  try {
    const source = referenceFor(loadEdgeConfig(env), log);
    const loadRuleSet = source.loadRuleSet?.bind(source);
    registry = loadRuleSet ? createEngineRegistry({ loadRuleSet }, { config: edgeScoringConfig(env), log }) : undefined;
  } catch (err) {
    // Decisions still say they were scored by the bundled engine (fallback reason); this says why.
    log.error("ENGINE_REGISTRY_UNAVAILABLE", { error: err instanceof Error ? err.message.slice(0, 300) : "unknown" });
  }
  cached = { env, registry };
  return registry;
}
