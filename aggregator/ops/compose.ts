import { Hono } from "hono";
import { TOPICS } from "../ports/index.js";
import { createTokenAuth } from "../http/auth.js";
import { opsHealthSources } from "./health-sources.js";
import { startIngestRate } from "./ingest-rate.js";
import { createLearningClock } from "./learning-clock.js";
import { createOpsMetrics, createVerdictMetrics, observingBus } from "./metrics.js";
import { snapshotBaseFromFile } from "./reference-base.js";
import { createOpsRoutes } from "./routes.js";
import type { OpsComposeInput, OpsRuntime } from "./runtime.js";
import { createOpsServices } from "./services.js";
import { createSinkTracker } from "./sink-tracker.js";
import { createReviewCaseSink, createRiskFactsSink, createRuleHitsSink } from "./sinks.js";

// Everything the ops module adds to the aggregator, built from what compose() (aggregator/main.ts)
// already has. main.ts then: wraps its bus with `wrapBus`, its sink handlers with `trackSink`,
// starts `sinks` like its own, mounts `routes`, and calls `start()` / `close()`.

export function composeOps(input: OpsComposeInput): OpsRuntime {
  const now = input.now ?? Date.now;
  const { config, sql, registry, log } = input;
  const startedAtMs = now();
  const clock = createLearningClock(config.learningClock, now);
  const verdictMetrics = createVerdictMetrics(registry);
  const opsMetrics = createOpsMetrics(registry, sql, (e) => log.warn("OPS_METRICS_UNAVAILABLE", { error: (e as Error).message }));

  const { models, rules, riskJob } = createOpsServices({ sql, registry, log, now, clock, risk: config.risk, metrics: opsMetrics, target: input.reference.target, training: input.training });

  const tracker = createSinkTracker(now);
  const ingestRate = startIngestRate(registry, now);
  const auth = createTokenAuth({ sql, bootstrap: config.bootstrapTokens, now, maxStaleMs: config.tokenMaxStaleMs, onError: (code, e) => log.error(code, { error: (e as Error).message }) });
  const snapshotBase = snapshotBaseFromFile(config.referenceBaseFile);
  const ops = createOpsRoutes({
    sql,
    verdicts: input.verdicts,
    summaries: input.summaries,
    auth,
    health: opsHealthSources({ probes: [...input.probes, ...input.reference.probes], consumers: input.consumers, sinks: tracker, throughputTps: ingestRate.rate, startedAtMs, now }),
    riskJob,
    cases: config.cases,
    ...(snapshotBase ? { snapshotBase } : {}),
    now,
    learningNow: clock.now,
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
    { name: "review_cases", groupId: config.groups.review, topics: [TOPICS.verdicts], sink: tracker.track("review_cases", createReviewCaseSink(sql, now)) },
    { name: "risk_facts", groupId: config.groups.riskFacts, topics: [TOPICS.verdicts], sink: tracker.track("risk_facts", createRiskFactsSink(sql, clock.advance)) },
    { name: "rule_hits", groupId: config.groups.ruleHits, topics: [TOPICS.verdicts], sink: tracker.track("rule_hits", createRuleHitsSink(sql)) },
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
    trackSink: tracker.track,
    start: () => {
      riskJob.start(config.riskIntervalMs);
      models?.start();
      clock.whenReady(sql, log, () => riskJob.trigger());
    },
    async close() {
      ingestRate.stop();
      await riskJob.stop();
      await models?.stop();
    },
  };
}
