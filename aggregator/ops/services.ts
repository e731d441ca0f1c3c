import type { Registry } from "prom-client";
import type { Logger } from "../../core/contracts/logger.js";
import type { SqlClient } from "../ports/index.js";
import type { ReferenceTarget } from "../reference/target.js";
import { createRiskJob, type RiskJob } from "../risk/job.js";
import { createRuleMetrics } from "../rules/metrics.js";
import { createRuleService, type RuleService } from "../rules/service.js";
import { createModelService, type ModelService } from "../training/service.js";
import type { OpsConfig } from "./config.js";
import type { LearningClock } from "./learning-clock.js";
import type { OpsMetrics } from "./metrics.js";
import type { OpsComposeInput } from "./runtime.js";

// The services behind the ops routes and jobs: rule sets, the label → risk job and (with the
// learning loop) models. Risk, rule sets and models all reach the edge through the one reference
// target; the label-driven ones run on the learning clock.

export interface OpsServicesInput {
  sql: SqlClient;
  registry: Registry;
  log: Logger;
  now: () => number;
  clock: LearningClock;
  risk: OpsConfig["risk"];
  metrics: OpsMetrics;
  target: ReferenceTarget | undefined;
  training: OpsComposeInput["training"];
}

export function createOpsServices(input: OpsServicesInput): { models?: ModelService; rules: RuleService; riskJob: RiskJob } {
  const { sql, log, now, clock, training } = input;
  const target = input.target ? { target: input.target } : {};
  const archived = training && { archive: training.archive, ...(training.rootPrefix ? { rootPrefix: training.rootPrefix } : {}) };
  const models =
    training && archived
      ? createModelService({ sql, ...archived, config: training.config, ...target, now: clock.now, log: (level, code, fields) => log[level](code, fields) })
      : undefined;
  const rules = createRuleService({ sql, ...target, now, ...archived });
  createRuleMetrics(input.registry, sql, { now, onError: (e) => log.warn("RULE_METRICS_UNAVAILABLE", { error: (e as Error).message }) });
  const riskJob = createRiskJob({ sql, ...target, now: clock.now, config: input.risk, metrics: input.metrics, log });
  return { ...(models ? { models } : {}), rules, riskJob };
}
