// Public API of the scoring engine. Others code against these names.
export * from "./schemas.js";
export { CardWindow, MAX_RECENT, RECENT_WINDOW_MS, HISTORY_DAYS, MAX_DEVICES } from "./window/card-window.js";
export { encodeCardState, decodeCardState, CARD_STATE_FORMAT_VERSION } from "./window/codec.js";
export {
  extractFeatures,
  extractInto,
  toVector,
  fromVector,
  RULE_FEATURE_NAMES,
  EXTRA_RULE_FEATURES,
  N_FEATURES,
  N_RULE_FEATURES,
  type RuleFeatureName,
} from "./features/extract.js";
export { haversineKm, countryAt } from "./geo/geo.js";
export { ScoringConfigSchema, parseScoringConfig, type ScoringConfig } from "./config.js";
export { RuleSetSchema, RuleSchema, parseRuleSet, SIGNALS, OPS, type RuleSet, type Rule, type Expr } from "./rules/schema.js";
export { compileRuleSet, type CompiledRuleSet, type CompiledRule } from "./rules/compile.js";
export { METRICS, Baseline } from "./stats/baseline.js";
export { createEngine, NO_REFERENCE, type Engine, type EngineOptions, type ScoreResult } from "./engine.js";
export { defaultEngine, defaultConfig, defaultRuleSet, defaultModel, score } from "./engine-default.js";
