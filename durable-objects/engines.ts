import { z } from "zod";
import {
  CHANNELS,
  createEngine,
  defaultConfig,
  defaultEngine,
  defaultModel,
  defaultRuleSet,
  type CardState as CardWindow,
  type Engine,
  type Reason,
  type ScoreResult,
  type ScoringConfig,
} from "../core/index.js";
import type { ReferenceSignals, TransactionEvent } from "../core/schemas.js";
import type { ScoreItem } from "../edge/ports.js";

// Which scoring engine a card object uses for an item. The reference data names the active rule
// set and model versions; an engine for them comes from the registry when it can build one, else
// the shipped default scores the event and the decision says so with a SYSTEM reason.

export interface ScoringEngine {
  /** Scores the event against the state, then applies it to the state. Synchronous. */
  process(event: TransactionEvent, state: CardWindow, refs: ReferenceSignals): ScoreResult;
}

/** Bindings/vars the engines read (REFERENCE_FAILURE_POLICY; a registry may read more). */
export type EngineEnv = Record<string, unknown>;

/** Builds engines for named versions; answers undefined when it has no such version. */
export interface EngineRegistry {
  resolve(rulesVersion: string | undefined, modelVersion: string | undefined): Promise<Engine | undefined>;
}

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

let baseEngine: { config: ScoringConfig; engine: Engine } | undefined;

function engineWith(config: ScoringConfig): Engine {
  if (config === defaultConfig()) return defaultEngine();
  if (baseEngine?.config !== config) {
    baseEngine = { config, engine: createEngine({ config, ruleSet: defaultRuleSet(), model: defaultModel() }) };
  }
  return baseEngine.engine;
}

/** Wraps an engine so every decision it makes carries `reason` (why the requested version was not used). */
function withReason(engine: Engine, reason: Reason): ScoringEngine {
  return {
    process(event, state, refs) {
      const r = engine.process(event, state, refs);
      return { features: r.features, decision: { ...r.decision, reasons: [...r.decision.reasons, reason] } };
    },
  };
}

function fallbackReason(base: Engine, rulesVersion: string | undefined, modelVersion: string | undefined): Reason {
  const wanted = [
    rulesVersion !== undefined && rulesVersion !== base.rulesVersion ? `rules ${rulesVersion}` : undefined,
    modelVersion !== undefined && modelVersion !== base.modelVersion ? `model ${modelVersion}` : undefined,
  ].filter((w) => w !== undefined);
  return {
    code: "ENGINE_VERSION_UNAVAILABLE",
    tier: "SYSTEM",
    detail: `active ${wanted.join(" and ")} not available at the edge; scored with ${base.rulesVersion} / ${base.modelVersion}`,
    contribution: 0,
  };
}

/** One engine per item, resolved before the card's state is touched (may await the registry). */
export async function resolveEngines(env: EngineEnv, items: ScoreItem[], registry?: EngineRegistry): Promise<ScoringEngine[]> {
  const base = engineWith(edgeScoringConfig(env));
  const memo = new Map<string, Promise<ScoringEngine>>();
  const one = (rv: string | undefined, mv: string | undefined): Promise<ScoringEngine> => {
    const wantsOther = (rv !== undefined && rv !== base.rulesVersion) || (mv !== undefined && mv !== base.modelVersion);
    if (!wantsOther) return Promise.resolve(base);
    const key = `${rv ?? ""}\u0000${mv ?? ""}`;
    let p = memo.get(key);
    if (!p) {
      const resolved = registry
        ? registry.resolve(rv, mv).catch((err: unknown) => {
            // The decision still says which engine scored it (fallback reason below); this says why.
            console.error(JSON.stringify({ level: "error", code: "ENGINE_REGISTRY_FAILED", rules_version: rv, model_version: mv, error: String(err).slice(0, 200) }));
            return undefined;
          })
        : Promise.resolve(undefined);
      p = resolved.then(
        (e): ScoringEngine => e ?? withReason(base, fallbackReason(base, rv, mv)),
      );
      memo.set(key, p);
    }
    return p;
  };
  return Promise.all(items.map((i) => one(i.rulesVersion, i.modelVersion)));
}
