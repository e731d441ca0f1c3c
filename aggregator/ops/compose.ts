import type { Logger } from "../../core/contracts/logger.js";
import { Hono } from "hono";
import { readFile } from "node:fs/promises";
import type { Registry } from "prom-client";
import { ReferenceSnapshotSchema } from "../../core/contracts/reference.js";
import { TOPICS, type EventBus, type MessageBatch, type SummaryStore, type TopicName, type VerdictStore, type SqlClient, type HealthProbe } from "../ports/index.js";
import { createTokenAuth, type TokenAuth } from "../http/auth.js";
import type { OpsConfig } from "./config.js";
import { createRateMeter, type LagEntry, type SinkHealth } from "./health.js";
import { createRiskJob, type RiskJob } from "../risk/job.js";
import { createOpsMetrics, createVerdictMetrics, observingBus } from "./metrics.js";
import type { SnapshotBase } from "../reference/publish.js";
import type { ReferenceTarget } from "../reference/target.js";
import { createOpsRoutes } from "./routes.js";
import type { Archive } from "../ports/index.js";
import type { TrainingConfig } from "../training/config.js";
import { createModelService, type ModelService } from "../training/service.js";
import { createReviewCaseSink, createRiskFactsSink, createRuleHitsSink } from "./sinks.js";
import { createRuleMetrics } from "../rules/metrics.js";
import { createRuleService, type RuleService } from "../rules/service.js";

// Everything the ops module adds to the aggregator, built from what compose() (aggregator/main.ts)
// already has. main.ts then: wraps its bus with `wrapBus`, its sink handlers with `trackSink`,
// starts `sinks` like its own, mounts `routes`, and calls `start()` / `close()`.

type Sink = (batch: MessageBatch) => Promise<void>;

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
  consumers: () => Array<{ name?: string; groupId: string; lag(): Promise<Array<{ topic: string; partition: number; lag: number }>>; status?(): SinkHealth }>;
  log: Logger;
  now?: () => number;
  /** The learning loop (model registry, training, publication); off when absent. */
  training?: { config: TrainingConfig; archive: Archive; rootPrefix?: string };
}

export interface OpsRuntime {
  routes: Hono;
  sinks: Array<{ name: string; groupId: string; topics: TopicName[]; sink: Sink }>;
  riskJob: RiskJob;
  models?: ModelService;
  rules: RuleService;
  /** The ops token check, for routes mounted beside the ops API (the alert stream). */
  auth: TokenAuth;
  /** Caps on open alert streams (OPS_ALERT_STREAMS_PER_TOKEN / _TOTAL). */
  alertStreams: { perToken: number; total: number };
  wrapBus(bus: EventBus): EventBus;
  trackSink(name: string, sink: Sink): Sink;
  start(): void;
  close(): Promise<void>;
}

async function ingestTotal(registry: Registry): Promise<number> {
  const m = registry.getSingleMetric("vigil_ingest_records_total");
  if (!m) return 0;
  const v = await m.get();
  return v.values.reduce((a, x) => a + x.value, 0);
}

export function composeOps(input: OpsComposeInput): OpsRuntime {
  const now = input.now ?? Date.now;
  const { config, sql, registry, log } = input;
  const startedAtMs = now();
  // The learning loop's clock (OPS_LEARNING_CLOCK): the wall clock, or the event-time watermark of
  // the transactions stored for the label job (a replay of history: see ops/config.ts).
  let watermarkMs = Number.NEGATIVE_INFINITY;
  const advance = (ms: number) => {
    if (ms > watermarkMs) watermarkMs = ms;
  };
  const learningNow = config.learningClock === "events" ? () => (Number.isFinite(watermarkMs) ? watermarkMs : 0) : now;
  const verdictMetrics = createVerdictMetrics(registry);
  const opsMetrics = createOpsMetrics(registry, sql, (e) => log.warn("OPS_METRICS_UNAVAILABLE", { error: (e as Error).message }));

  // Risk, lists, rule sets and models all go to the edge through the one reference target.
  const target = input.reference.target;
  const probes = [...input.probes, ...input.reference.probes];
  const models = input.training
    ? createModelService({
        sql,
        archive: input.training.archive,
        config: input.training.config,
        ...(target ? { target } : {}),
        now: learningNow,
        log: (level, code, fields) => log[level](code, fields),
        ...(input.training.rootPrefix ? { rootPrefix: input.training.rootPrefix } : {}),
      })
    : undefined;
  const rules = createRuleService({
    sql,
    ...(target ? { target } : {}),
    now,
    ...(input.training ? { archive: input.training.archive, ...(input.training.rootPrefix ? { rootPrefix: input.training.rootPrefix } : {}) } : {}),
  });
  createRuleMetrics(registry, sql, { now, onError: (e) => log.warn("RULE_METRICS_UNAVAILABLE", { error: (e as Error).message }) });
  const riskJob = createRiskJob({
    sql,
    ...(target ? { target } : {}),
    now: learningNow,
    config: config.risk,
    metrics: opsMetrics,
    log,
  });

  const sinkState = new Map<string, SinkHealth>();
  const trackSink = (name: string, sink: Sink): Sink => {
    sinkState.set(name, { state: "idle", last_write_at: null, errors: 0 });
    return async (batch) => {
      const s = sinkState.get(name) ?? { state: "idle", last_write_at: null, errors: 0 };
      try {
        await sink(batch);
        sinkState.set(name, { state: "running", last_write_at: new Date(now()).toISOString(), errors: s.errors });
      } catch (e) {
        // Retriable failures leave the sink "failing" until its next good write; poison messages
        // are the consumer's to dead-letter and do not mark the sink down.
        const retriable = !(e instanceof Error && "retriable" in e && (e as { retriable: unknown }).retriable === false);
        sinkState.set(name, { ...s, state: retriable ? "failing" : s.state, errors: s.errors + (retriable ? 1 : 0) });
        throw e;
      }
    };
  };

  let ingested = 0;
  const meter = createRateMeter(() => ingested, now);
  const sampler = setInterval(() => {
    ingestTotal(registry).then(
      (n) => {
        ingested = n;
        meter.tick();
      },
      () => undefined,
    );
  }, 5000);
  sampler.unref();

  let base: SnapshotBase | undefined;
  if (config.referenceBaseFile) {
    const file = config.referenceBaseFile;
    base = async () => ReferenceSnapshotSchema.parse(JSON.parse(await readFile(file, "utf8")));
  }

  const lag = async (): Promise<LagEntry[]> => {
    const all = await Promise.all(input.consumers().map(async (c) => (await c.lag()).map((l) => ({ group: c.groupId, ...l }))));
    return all.flat();
  };

  const auth = createTokenAuth({ sql, bootstrap: config.bootstrapTokens, now, maxStaleMs: config.tokenMaxStaleMs, onError: (code, e) => log.error(code, { error: (e as Error).message }) });
  const ops = createOpsRoutes({
    sql,
    verdicts: input.verdicts,
    summaries: input.summaries,
    auth,
    health: {
      // The bus answering lag() is what ingest needs: without it nothing is accepted.
      probes: [...probes, { name: "bus", critical: true, check: async () => (await lag(), { ok: true }) }],
      lag,
      throughputTps: () => meter.rate(),
      // The consumer's own view wins: it sees deadlines and stalls the wrapped handler cannot.
      sinks: () => {
        const out: Record<string, SinkHealth> = Object.fromEntries(sinkState);
        for (const c of input.consumers()) if (c.name !== undefined && c.status) out[c.name] = c.status();
        return out;
      },
      startedAtMs,
      now,
    },
    riskJob,
    cases: config.cases,
    ...(base ? { snapshotBase: base } : {}),
    now,
    learningNow,
    log,
    metrics: opsMetrics,
    maxBodyBytes: config.maxBodyBytes,
    ...(models ? { models } : {}),
    rules,
  });
  const routes = new Hono();
  routes.route("/", ops);

  const sinks: OpsRuntime["sinks"] = [
    // REVIEW and BLOCKED verdicts both open cases: fraud-verdicts carries both (fraud-review only REVIEW).
    { name: "review_cases", groupId: config.groups.review, topics: [TOPICS.verdicts], sink: trackSink("review_cases", createReviewCaseSink(sql, now)) },
    { name: "risk_facts", groupId: config.groups.riskFacts, topics: [TOPICS.verdicts], sink: trackSink("risk_facts", createRiskFactsSink(sql, config.learningClock === "events" ? advance : undefined)) },
    { name: "rule_hits", groupId: config.groups.ruleHits, topics: [TOPICS.verdicts], sink: trackSink("rule_hits", createRuleHitsSink(sql)) },
  ];

  return {
    routes,
    sinks,
    riskJob,
    ...(models ? { models } : {}),
    rules,
    auth,
    alertStreams: config.alertStreams,
    wrapBus: (bus) => observingBus(bus, verdictMetrics),
    trackSink,
    start: () => {
      riskJob.start(config.riskIntervalMs);
      models?.start();
      if (config.learningClock !== "events") {
        riskJob.trigger();
        return;
      }
      // After a restart the watermark is what was stored before it.
      sql
        .query<{ t: string | Date | null }>("SELECT max(event_time) AS t FROM fraud_ops.scored_transactions")
        .then((r) => {
          const t = r.rows[0]?.t;
          if (t !== null && t !== undefined) advance(new Date(t).getTime());
          riskJob.trigger();
        })
        .catch((e: unknown) => log.error("LEARNING_CLOCK_UNAVAILABLE", { error: e instanceof Error ? e.message : String(e) }));
    },
    async close() {
      clearInterval(sampler);
      await riskJob.stop();
      await models?.stop();
    },
  };
}
