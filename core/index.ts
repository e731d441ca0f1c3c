// Public API of the scoring engine. Others code against these names.
export * from "./schemas.js";
export { CardState, MAX_RECENT, RECENT_WINDOW_MS, HISTORY_DAYS, MAX_DEVICES } from "./window/card-state.js";
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
