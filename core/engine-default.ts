import { parseScoringConfig, type ScoringConfig } from "./config.js";
import defaultConfigJson from "./default-config.json" with { type: "json" };
import { createEngine, NO_REFERENCE, type Engine } from "./engine.js";
import defaultModelJson from "./ml/default-model.json" with { type: "json" };
import { ForestModelSchema, type ForestModel } from "./ml/model.js";
import defaultRulesJson from "./rules/default-ruleset.json" with { type: "json" };
import { parseRuleSet, type RuleSet } from "./rules/schema.js";
import type { Decision, ReferenceSignals, TransactionEvent } from "./schemas.js";
import type { CardWindow } from "./window/card-window.js";

// The shipped defaults, each parsed once (zod) on first use: a malformed file fails loudly at
// start-up, not per event.
let cfg: ScoringConfig | undefined;
let rules: RuleSet | undefined;
let model: ForestModel | undefined;
let engine: Engine | undefined;

export function defaultConfig(): ScoringConfig {
  return (cfg ??= parseScoringConfig(defaultConfigJson));
}

export function defaultRuleSet(): RuleSet {
  return (rules ??= parseRuleSet(defaultRulesJson));
}

export function defaultModel(): ForestModel {
  return (model ??= ForestModelSchema.parse(defaultModelJson));
}

/** Default config + default rule set + core/ml/default-model.json, built once per isolate. */
export function defaultEngine(): Engine {
  return (engine ??= createEngine({ config: defaultConfig(), ruleSet: defaultRuleSet(), model: defaultModel() }));
}

// Engines of the functional form, cached per (model, config, rule set) object identity so a
// caller passing the same objects does not recompile the forest and the rules per event.
const cache = new WeakMap<ForestModel, WeakMap<ScoringConfig, WeakMap<RuleSet, Engine>>>();

/** The plain functional form: scores `event` against `state` without changing it. */
export function score(
  event: TransactionEvent,
  state: CardWindow,
  config: ScoringConfig,
  forest: ForestModel,
  ruleSet: RuleSet = defaultRuleSet(),
  refs: ReferenceSignals = NO_REFERENCE,
): Decision {
  let byConfig = cache.get(forest);
  if (!byConfig) cache.set(forest, (byConfig = new WeakMap()));
  let byRules = byConfig.get(config);
  if (!byRules) byConfig.set(config, (byRules = new WeakMap()));
  let e = byRules.get(ruleSet);
  if (!e) byRules.set(ruleSet, (e = createEngine({ config, ruleSet, model: forest })));
  return e.score(event, state, refs).decision;
}
