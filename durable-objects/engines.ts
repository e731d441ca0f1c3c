import { CardState as CardWindow, extractFeatures } from "../core/index.js";
import type { Decision, FeatureVector, ReferenceSignals, TransactionEvent } from "../core/schemas.js";
import type { ScoreItem } from "../edge/ports.js";

// Which scoring engine a card object uses for an item: the rule set / model version named by the
// reference data when the registry has it, else the default engine (with a SYSTEM reason).

export interface ScoringEngine {
  /** Scores the event against the state, then applies it to the state. Synchronous. */
  process(event: TransactionEvent, state: CardWindow, refs: ReferenceSignals): { decision: Decision; features: FeatureVector };
}

/** Bindings/vars the engine registry may read (rule sets from reference storage). */
export type EngineEnv = Record<string, unknown>;

// INTERIM until core's defaultEngine lands: real features and window updates, no scoring.
const interimEngine: ScoringEngine = {
  process(event, state, refs) {
    const features = extractFeatures(event, state, refs);
    state.apply(event);
    const decision: Decision = {
      transaction_id: event.transaction_id,
      fraud_score: 0,
      verdict: "APPROVED",
      confidence: 0,
      rule_triggers: [],
      ml_score: 0,
      reasons: [{ code: "ENGINE_INTERIM", tier: "SYSTEM", detail: "interim engine", contribution: 0 }],
      model_version: "interim",
      rules_version: "interim",
    };
    return { decision, features };
  },
};

export function resolveEngines(_env: EngineEnv, items: ScoreItem[]): Promise<ScoringEngine[]> {
  return Promise.resolve(items.map(() => interimEngine));
}
