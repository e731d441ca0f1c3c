import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

// Counters and histograms for ingest and the sink consumers. Code depends on the small Metrics
// interface; createMetrics backs it with prom-client on a registry that GET /metrics exposes.

export type IngestOutcome = "accepted" | "unauthorized" | "replayed" | "invalid" | "too_large" | "unavailable";
export type SinkOutcome = "ok" | "retry" | "dead_letter";

export interface Metrics {
  ingestRequest(outcome: IngestOutcome): void;
  ingestRecords(count: number): void;
  ingestPublishSeconds(seconds: number): void;
  sinkBatch(sink: string, outcome: SinkOutcome, records: number, seconds: number): void;
  sinkDeadLetter(sink: string, reason: string): void;
  /** From the edge's received_at to the moment the sink's write was durable. */
  sinkEndToEndSeconds(sink: string, seconds: number): void;
  consumerLag(group: string, topic: string, partition: number, lag: number): void;
  /**
   * A sink consumer stopped making progress because a dependency failed (reason: timeout |
   * infrastructure | transient), or resumed (stalled=false). Its offsets stay uncommitted meanwhile.
   */
  sinkStall(sink: string, stalled: boolean, reason?: SinkStallReason): void;
}

export type SinkStallReason = "timeout" | "infrastructure" | "transient";

export const noopMetrics: Metrics = {
  ingestRequest: () => undefined,
  ingestRecords: () => undefined,
  ingestPublishSeconds: () => undefined,
  sinkBatch: () => undefined,
  sinkDeadLetter: () => undefined,
  sinkEndToEndSeconds: () => undefined,
  consumerLag: () => undefined,
  sinkStall: () => undefined,
};

export interface PromMetrics extends Metrics {
  registry: Registry;
}

export function createMetrics(options: { registry?: Registry; defaults?: boolean } = {}): PromMetrics {
  const registry = options.registry ?? new Registry();
  if (options.defaults ?? true) {
    collectDefaultMetrics({ register: registry, prefix: "vigil_aggregator_" });
    // `promtool check metrics` refuses gauges named *_total (infra/grafana/dashboards.int.test.ts
    // runs it on /metrics), so prom-client's three such defaults are dropped
    // (nodejs_active_handles / _requests / _resources by type remain).
    for (const n of ["handles", "requests", "resources"]) registry.removeSingleMetric(`vigil_aggregator_nodejs_active_${n}_total`);
  }
  const registers = [registry];
  const requests = new Counter({ name: "vigil_ingest_requests_total", help: "POST /v1/ingest requests by outcome", labelNames: ["outcome"], registers });
  const records = new Counter({ name: "vigil_ingest_records_total", help: "Scored events accepted by ingest", registers });
  const publish = new Histogram({
    name: "vigil_ingest_publish_seconds",
    help: "Time for the bus to acknowledge one ingest batch",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const batches = new Counter({ name: "vigil_sink_batches_total", help: "Sink batches by outcome", labelNames: ["sink", "outcome"], registers });
  const sinkRecords = new Counter({ name: "vigil_sink_records_total", help: "Messages handled by sinks, by outcome", labelNames: ["sink", "outcome"], registers });
  const batchSeconds = new Histogram({
    name: "vigil_sink_batch_seconds",
    help: "Time to write one batch to a sink",
    labelNames: ["sink"],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const deadLetters = new Counter({ name: "vigil_sink_dead_letters_total", help: "Messages sent to the dead-letter topic", labelNames: ["sink", "reason"], registers });
  const e2e = new Histogram({
    name: "vigil_sink_end_to_end_seconds",
    help: "From edge receipt to durable sink write",
    labelNames: ["sink"],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers,
  });
  const stalled = new Gauge({ name: "vigil_sink_stalled", help: "1 while a sink consumer is stalled on a failing dependency (offsets not committed)", labelNames: ["sink"], registers });
  const stalls = new Counter({ name: "vigil_sink_stalls_total", help: "Sink batches that failed on a dependency and will be retried, by reason", labelNames: ["sink", "reason"], registers });
  const lag = new Gauge({ name: "vigil_consumer_lag_messages", help: "Messages behind the log end", labelNames: ["group", "topic", "partition"], registers });
  return {
    registry,
    ingestRequest: (outcome) => requests.inc({ outcome }),
    ingestRecords: (count) => records.inc(count),
    ingestPublishSeconds: (s) => publish.observe(s),
    sinkBatch: (sink, outcome, n, s) => {
      batches.inc({ sink, outcome });
      sinkRecords.inc({ sink, outcome }, n);
      if (outcome === "ok") batchSeconds.observe({ sink }, s);
    },
    // Reason codes are a small closed set (see consumers/dead-letter), so the label stays bounded.
    sinkDeadLetter: (sink, reason) => deadLetters.inc({ sink, reason }),
    sinkEndToEndSeconds: (sink, s) => e2e.observe({ sink }, s),
    consumerLag: (group, topic, partition, n) => lag.set({ group, topic, partition: String(partition) }, n),
    sinkStall: (sink, isStalled, reason) => {
      stalled.set({ sink }, isStalled ? 1 : 0);
      if (isStalled && reason) stalls.inc({ sink, reason });
    },
  };
}
