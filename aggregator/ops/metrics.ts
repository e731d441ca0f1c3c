import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { ScoredEvent } from "../../core/schemas.js";
import { TOPICS, type EventBus, type SqlQuery } from "../ports/index.js";

// Fraud metrics for Prometheus, registered in the aggregator's registry (aggregator/metrics.ts
// owns ingest, sink, dead-letter and lag metrics). Verdict metrics are observed where verdicts
// are durably accepted: on a successful publish to fraud-verdicts (observingBus), so a batch the
// bus refused, and the edge will resend, is not counted twice.

const RULE_CODE = /^[A-Z0-9_]{1,64}$/;

export interface VerdictMetrics {
  observe(records: ScoredEvent[]): void;
}

export function createVerdictMetrics(registry: Registry): VerdictMetrics {
  const registers = [registry];
  const verdicts = new Counter({
    name: "vigil_verdicts_total",
    help: "Scored transactions accepted from the edge, by verdict, channel and edge region",
    labelNames: ["verdict", "channel", "region"],
    registers,
  });
  const latency = new Histogram({
    name: "vigil_edge_scoring_latency_seconds",
    help: "Edge scoring latency as reported by the edge in each verdict (latency_ms)",
    labelNames: ["channel"],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const rules = new Counter({ name: "vigil_rule_triggers_total", help: "Rule triggers in accepted verdicts, by rule code", labelNames: ["rule"], registers });
  const amount = new Counter({ name: "vigil_verdict_amount_usd_total", help: "Transaction amount (USD) by verdict", labelNames: ["verdict"], registers });
  const score = new Histogram({
    name: "vigil_fraud_score",
    help: "Distribution of fraud_score (0-100)",
    buckets: [10, 20, 30, 40, 50, 60, 70, 80, 90, 100],
    registers,
  });
  return {
    observe(records) {
      for (const r of records) {
        const v = r.verdict;
        verdicts.inc({ verdict: v.verdict, channel: r.event.channel, region: r.region.slice(0, 32) });
        latency.observe({ channel: r.event.channel }, Math.max(0, v.latency_ms) / 1000);
        amount.inc({ verdict: v.verdict }, r.event.amount_usd);
        score.observe(v.fraud_score);
        // Rule codes come from versioned rule sets; anything else is folded so labels stay bounded.
        for (const code of v.rule_triggers) rules.inc({ rule: RULE_CODE.test(code) ? code : "OTHER" });
      }
    },
  };
}

/** The bus, observing verdict metrics for every batch the broker acknowledged. */
export function observingBus(bus: EventBus, metrics: VerdictMetrics): EventBus {
  return {
    async publish(messages) {
      await bus.publish(messages);
      const records: ScoredEvent[] = [];
      for (const m of messages) {
        if (m.topic === TOPICS.verdicts && m.value.schema === "vigil.scored-event") records.push(m.value.payload as ScoredEvent);
      }
      metrics.observe(records);
    },
    subscribe: (o) => bus.subscribe(o),
    close: () => bus.close(),
  };
}

export interface OpsMetrics {
  riskJob(outcome: "ok" | "error", finishedAtMs: number, refdataVersion?: number): void;
  labels(outcome: "created" | "updated" | "unchanged", n: number): void;
}

/** Review queue depth (read from SQL at scrape time), label and risk-job activity. */
export function createOpsMetrics(registry: Registry, sql: SqlQuery, onError?: (e: unknown) => void): OpsMetrics {
  const registers = [registry];
  const collectErrors = new Counter({ name: "vigil_ops_collect_errors_total", help: "Failed reads of ops gauges at scrape time", registers });
  new Gauge({
    name: "vigil_review_cases",
    help: "Review cases by status",
    labelNames: ["status"],
    registers,
    async collect() {
      try {
        const { rows } = await sql.query<{ status: string; n: number }>(
          `SELECT s.status, count(c.case_id)::int AS n FROM (VALUES ('OPEN'), ('CLAIMED'), ('DECIDED'), ('MERGED')) AS s(status)
             LEFT JOIN fraud_ops.review_cases c ON c.status = s.status GROUP BY s.status`,
        );
        for (const r of rows) this.set({ status: r.status }, r.n);
      } catch (e) {
        // A failed read keeps the last values (the scrape must not fail) and is counted.
        collectErrors.inc();
        onError?.(e);
      }
    },
  });
  const labels = new Counter({ name: "vigil_labels_total", help: "Labels received by outcome", labelNames: ["outcome"], registers });
  const runs = new Counter({ name: "vigil_risk_job_runs_total", help: "Risk recomputation runs by outcome", labelNames: ["outcome"], registers });
  const lastOk = new Gauge({ name: "vigil_risk_job_last_success_timestamp_seconds", help: "When risk was last recomputed and published", registers });
  const version = new Gauge({ name: "vigil_reference_version", help: "Reference data version last published by the ops job", registers });
  for (const o of ["ok", "error"]) runs.inc({ outcome: o }, 0);
  for (const o of ["created", "updated", "unchanged"]) labels.inc({ outcome: o }, 0);
  return {
    riskJob(outcome, finishedAtMs, refdataVersion) {
      runs.inc({ outcome });
      if (outcome === "ok") {
        lastOk.set(finishedAtMs / 1000);
        if (refdataVersion !== undefined) version.set(refdataVersion);
      }
    },
    labels: (outcome, n) => labels.inc({ outcome }, n),
  };
}
