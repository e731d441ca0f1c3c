import { z } from "zod";
import { CHANNELS, defaultConfig, type Engine, type ScoringConfig } from "../../core/index.js";
import type { ScoreItem } from "../../core/contracts/scoring.js";
import { loadReferenceSettings } from "../config.js";
import { consoleLogger } from "../ports.js";
import { referenceFor } from "../reference-source.js";
import { createEngineRegistry, type EngineRegistry } from "./registry.js";

// Which engine scores each item, for whoever owns card state (the CardState Durable Object on
// Workers, the KV store on Deno). The deployment's settings shape the scoring config; the
// registry is built once per env (isolate) from the same reference source the worker reads.

/** Bindings/vars the engines read (REFERENCE_FAILURE_POLICY, the reference source settings). */
export type EngineEnv = Record<string, unknown>;

const PolicyOverride = z.partialRecord(z.enum(CHANNELS), z.enum(["FAIL_OPEN", "FAIL_CLOSED"]));

let configCache: { raw: unknown; config: ScoringConfig } | undefined;

/** The default config with the deployment's per-channel reference-failure policy laid over it. */
export function edgeScoringConfig(env: EngineEnv): ScoringConfig {
  const raw = env.REFERENCE_FAILURE_POLICY;
  if (configCache && configCache.raw === raw) return configCache.config;
  const base = defaultConfig();
  let config = base;
  if (typeof raw === "string" && raw.trim() !== "") {
    // Validated by the edge config at the front door; a bad value fails the call here too, loudly.
    const override = PolicyOverride.parse(JSON.parse(raw));
    config = { ...base, reference_failure_policy: { ...base.reference_failure_policy, ...override } };
  }
  configCache = { raw, config };
  return config;
}

const log = consoleLogger({ service: "vigil-edge", component: "engines" });
let cached: { env: EngineEnv; registry: EngineRegistry } | undefined;

/** The registry of this env; without a readable reference source it still scores (bundled engine, with reasons). */
export function registryFromEnv(env: EngineEnv): EngineRegistry {
  if (cached?.env === env) return cached.registry;
  const config = edgeScoringConfig(env);
  let registry: EngineRegistry;
  try {
    const source = referenceFor(loadReferenceSettings(env), log);
    const loadRuleSet = source.loadRuleSet?.bind(source);
    const loadModel = source.loadModel?.bind(source);
    registry = createEngineRegistry(loadRuleSet ? { loadRuleSet, ...(loadModel ? { loadModel } : {}) } : undefined, { config, log });
  } catch (err) {
    // Decisions still say they were scored by the bundled engine (fallback reason); this says why.
    log.error("ENGINE_REGISTRY_UNAVAILABLE", { error: err instanceof Error ? err.message.slice(0, 300) : "unknown" });
    registry = createEngineRegistry(undefined, { config, log });
  }
  cached = { env, registry };
  return registry;
}

/** One engine per item, resolved before the card's state is touched (may await the registry). */
export async function resolveEngines(items: ScoreItem[], registry: EngineRegistry): Promise<Engine[]> {
  const base = registry.bundled;
  const memo = new Map<string, Promise<Engine>>();
  const one = (rv: string | undefined, mv: string | undefined, sv: string | undefined): Promise<Engine> => {
    const wantsOther = (rv !== undefined && rv !== base.rulesVersion) || (mv !== undefined && mv !== base.modelVersion) || sv !== undefined;
    if (!wantsOther) return Promise.resolve(base);
    const key = `${rv ?? ""}\u0000${mv ?? ""}\u0000${sv ?? ""}`;
    let p = memo.get(key);
    if (!p) memo.set(key, (p = registry.resolve(rv, mv, sv)));
    return p;
  };
  return Promise.all(items.map((i) => one(i.rulesVersion, i.modelVersion, i.shadowModelVersion)));
}
