import type { Hono } from "hono";
import type { Registry } from "prom-client";
import type { Logger } from "../../core/contracts/logger.js";
import type { TokenAuth } from "../http/auth.js";
import type { Archive, EventBus, HealthProbe, SqlClient, SummaryStore, TopicName, VerdictStore } from "../ports/index.js";
import type { ReferenceTarget } from "../reference/target.js";
import type { RiskJob } from "../risk/job.js";
import type { RuleService } from "../rules/service.js";
import type { BatchHandler } from "../sinks/index.js";
import type { TrainingConfig } from "../training/config.js";
import type { ModelService } from "../training/service.js";
import type { OpsConfig } from "./config.js";
import type { ObservedConsumer } from "./health-sources.js";

// What composeOps (compose.ts) takes from aggregator/main.ts's compose() and what it hands back.

export interface OpsComposeInput {
  config: OpsConfig;
  sql: SqlClient;
  verdicts: VerdictStore;
  summaries: Pick<SummaryStore, "summaryForDate">;
  registry: Registry;
  /** Dependency probes of this profile (hot store, SQL, …). */
  probes: HealthProbe[];
  /** The profile's reference target (aggregator/adapters.ts): Redis and its probe, or none. */
  reference: { target?: ReferenceTarget; probes: HealthProbe[] };
  /** Running consumers (read at request time): their lag feeds /v1/health. */
  consumers: () => ObservedConsumer[];
  log: Logger;
  now?: () => number;
  /** The learning loop (model registry, training, publication); off when absent. */
  training?: { config: TrainingConfig; archive: Archive; rootPrefix?: string };
}

export interface OpsRuntime {
  routes: Hono;
  sinks: Array<{ name: string; groupId: string; topics: TopicName[]; sink: BatchHandler }>;
  riskJob: RiskJob;
  models?: ModelService;
  rules: RuleService;
  /** The ops token check, for routes mounted beside the ops API (the alert stream). */
  auth: TokenAuth;
  /** Caps on open alert streams (OPS_ALERT_STREAMS_PER_TOKEN / _TOTAL). */
  alertStreams: { perToken: number; total: number };
  wrapBus(bus: EventBus): EventBus;
  trackSink(name: string, sink: BatchHandler): BatchHandler;
  start(): void;
  close(): Promise<void>;
}
