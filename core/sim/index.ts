// The seeded, labelled traffic simulator (training data, benchmarks, evaluation, scenarios).
export { FRAUD_PATTERNS, GENERATOR_VERSION } from "./types.js";
export type { FraudPattern, LabelledEvent } from "./types.js";
export { generateNormalTraffic, generateStream } from "./stream.js";
export type { StreamOptions } from "./stream.js";
export { CITIES } from "./cities.js";
export type { City } from "./cities.js";
export { accountTakeover, bigUsualPurchase, impossibleTravel, legitTraveller, merchantCompromise, velocityAttack } from "./scenarios.js";
export type { ScenarioOptions } from "./scenarios.js";
export * as handbook from "./handbook/index.js";
