import type { Logger } from "../../core/contracts/logger.js";
import type { Adapters } from "../adapters.js";
import { startSinkConsumer, type SinkConsumer } from "../consumers/sink-consumer.js";
import type { PromMetrics } from "../metrics.js";
import { composeOps } from "./compose.js";
import type { OpsRuntime } from "./runtime.js";
import { loadOpsConfig } from "./config.js";
import { loadTrainingConfig } from "../training/config.js";

// The ops module inside aggregator/main.ts's compose(): a handful of lines there call this. Its
// stores are the profile's shared adapters (aggregator/adapters.ts): the same PostgreSQL pool or
// PGlite and the same Cassandra client the sinks use.

export interface AttachOpsInput {
  env?: Record<string, string | undefined>;
  adapters: Pick<Adapters, "bus" | "sql" | "verdicts" | "summaries" | "probes" | "archive" | "reference">;
  /** The archive sink's key prefix (S3_KEY_PREFIX): the feature store and model files live under it. */
  archivePrefix?: string;
  metrics: PromMetrics;
  log: Logger;
  /** compose()'s lists: ops consumers join them, so lag, health and shutdown see them. */
  consumers: SinkConsumer[];
  closers: Array<() => Promise<void>>;
}

export async function attachOps(input: AttachOpsInput): Promise<OpsRuntime> {
  const { adapters, log, closers } = input;
  const opsConfig = loadOpsConfig(input.env ?? process.env);
  const trainingConfig = loadTrainingConfig(input.env ?? process.env);
  const ops = composeOps({
    config: opsConfig,
    sql: await adapters.sql(),
    verdicts: await adapters.verdicts(),
    summaries: await adapters.summaries(),
    registry: input.metrics.registry,
    probes: await adapters.probes(),
    reference: adapters.reference(opsConfig.redis),
    consumers: () => input.consumers,
    log,
    training: { config: trainingConfig, archive: adapters.archive(), ...(input.archivePrefix ? { rootPrefix: input.archivePrefix } : {}) },
  });
  closers.push(() => ops.close());
  for (const s of ops.sinks) {
    const consumer = await startSinkConsumer({ bus: adapters.bus, name: s.name, groupId: s.groupId, topics: s.topics, sink: s.sink, metrics: input.metrics, log, lagSampleMs: 10_000 });
    input.consumers.push(consumer);
    closers.push(() => consumer.stop());
    log.info("SINK_STARTED", { sink: s.name, groupId: s.groupId, topics: s.topics });
  }
  ops.start();
  return ops;
}
