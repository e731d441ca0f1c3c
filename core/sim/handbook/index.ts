// The Fraud Detection Handbook's transaction simulator (§3.2), re-implemented for judging Vigil on
// data nobody here designed.
export { HandbookParamsSchema, HANDBOOK_DEFAULTS, parseHandbookParams, startMs } from "./params.js";
export type { HandbookParams, HandbookParamsInput } from "./params.js";
export { generateHandbookDataset, handbookRow, handbookRows, summarize, poisson, sampleDistinct } from "./generate.js";
export type { GenerateOptions, HandbookCustomers, HandbookDataset, HandbookRow, HandbookSummary, HandbookTerminals, HandbookTransactions, ScenarioDraws } from "./generate.js";
export { cardHashOf, gridToLatLon, handbookEventMapper, handbookEvents, HANDBOOK_MCCS, ORIGIN } from "./to-events.js";
export type { HandbookEventMapper, HandbookLabel, ToEventsOptions } from "./to-events.js";
