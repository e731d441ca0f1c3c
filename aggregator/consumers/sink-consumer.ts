import { silentLogger, type Logger } from "../../core/contracts/logger.js";
import { validateEnvelope } from "../bus/envelope.js";
import { DeadlineExceededError, withDeadline } from "../deadline.js";
import { noopMetrics, type Metrics, type SinkStallReason } from "../metrics.js";
import { isMessageFault, PortError, type EventBus, type IncomingMessage, type MessageBatch, type Subscription, type TopicName } from "../ports/index.js";
import { busDeadLetter, deadLetterReason, type DeadLetterWriter } from "./dead-letter.js";

// Runs one sink handler per partition batch. Outcomes:
//  - the sink resolved: the bus commits the batch's offsets;
//  - a message's own fault (bad envelope, unknown schema or version, or a MessageFaultError: a
//    schema or data constraint that names the message): it goes to fraud-dead-letter with the
//    error and its position, and the rest of the batch is written;
//  - ANY other failure — retriable or not: S3 AccessDenied/NoSuchBucket, a read-only or
//    privilege-less database, Cassandra unauthorized, a read-only folder, a timeout, a refused
//    connection, a bug — is the infrastructure's, never the message's: the consumer STALLS. The
//    handler rejects, nothing is committed, the bus delivers the same batch again after a capped
//    exponential backoff (bus option `redelivery`), the sink shows "stalled" in /v1/health and
//    vigil_sink_stalled=1, until a write succeeds again. Dead-lettering a healthy stream because
//    a bucket policy changed would lose it; waiting loses nothing.
//  - every sink call (and the dead-letter write) has a deadline: a hung write stalls the consumer
//    visibly instead of heartbeating forever on one partition.

export type Sink = (batch: MessageBatch) => Promise<void>;

export interface SinkConsumerOptions {
  bus: EventBus;
  /** Names the sink in metrics and logs. */
  name: string;
  groupId: string;
  topics: TopicName[];
  sink: Sink;
  deadLetter?: DeadLetterWriter;
  metrics?: Metrics;
  log?: Logger;
  now?: () => number;
  /** Called after each durable write (the benchmark measures end-to-end latency with it). */
  onStored?: (messages: IncomingMessage[], storedAtMs: number) => void;
  /** How often lag is sampled into metrics (0: never). */
  lagSampleMs?: number;
  /** Longest a single sink write may take before the batch counts as failed (default 60 s). */
  batchDeadlineMs?: number;
}

/** What /v1/health shows per sink. */
export interface SinkStatus {
  state: "idle" | "running" | "stalled";
  last_write_at: string | null;
  /** Failed batches since start. */
  errors: number;
  stalled_since?: string;
  last_error?: string;
}

export interface SinkConsumer extends Subscription {
  readonly name: string;
  readonly groupId: string;
  status(): SinkStatus;
}

export const DEFAULT_BATCH_DEADLINE_MS = 60_000;

/** The index of the refused message when the sink says which one (aggregator/sinks' PoisonMessageError). */
function poisonIndex(e: unknown): number | undefined {
  if (!isMessageFault(e)) return undefined;
  const i = e.index;
  return typeof i === "number" && Number.isInteger(i) ? i : undefined;
}

const isPoison = isMessageFault;

function stallReason(e: unknown): SinkStallReason {
  if (e instanceof DeadlineExceededError) return "timeout";
  if (e instanceof PortError && !e.retriable) return "infrastructure";
  return "transient";
}

export async function startSinkConsumer(o: SinkConsumerOptions): Promise<SinkConsumer> {
  const metrics = o.metrics ?? noopMetrics;
  const now = o.now ?? Date.now;
  const log = o.log ?? silentLogger;
  const deadLetter = o.deadLetter ?? busDeadLetter(o.bus, now);
  const deadlineMs = o.batchDeadlineMs ?? DEFAULT_BATCH_DEADLINE_MS;
  const write = (batch: MessageBatch) => withDeadline(o.sink(batch), deadlineMs, `sink ${o.name} write`);
  const status: SinkStatus = { state: "idle", last_write_at: null, errors: 0 };

  /** Writes `messages`, returning the ones refused for good; throws only retriable failures. */
  async function writeAll(batch: MessageBatch, messages: IncomingMessage[]): Promise<Array<{ message: IncomingMessage; error: string }>> {
    const refused: Array<{ message: IncomingMessage; error: string }> = [];
    let rest = messages;
    while (rest.length > 0) {
      try {
        await write({ ...batch, messages: rest });
        return refused;
      } catch (e) {
        if (!isPoison(e)) throw e;
        const err = e instanceof Error ? e.message : String(e);
        const idx = poisonIndex(e);
        if (idx !== undefined && idx >= 0 && idx < rest.length) {
          // The sink validated before writing: drop the named message and write the others.
          refused.push({ message: rest[idx]!, error: err });
          rest = rest.filter((_, i) => i !== idx);
          continue;
        }
        // Refused without saying which: write one at a time (sinks are idempotent) to find out.
        for (const m of rest) {
          try {
            await write({ ...batch, messages: [m] });
          } catch (e1) {
            if (!isPoison(e1)) throw e1;
            refused.push({ message: m, error: e1 instanceof Error ? e1.message : String(e1) });
          }
        }
        return refused;
      }
    }
    return refused;
  }

  const handleBatch = async (batch: MessageBatch): Promise<void> => {
    const started = performance.now();
    const poison: Array<{ message: IncomingMessage; error: string }> = [];
    const valid: IncomingMessage[] = [];
    for (const m of batch.messages) {
      const v = validateEnvelope(m.value);
      // The validated envelope goes on: the sink's parseBatch recognises it and does not parse the payload again.
      if (v.ok) valid.push({ ...m, value: v.value });
      else poison.push({ message: m, error: v.error });
    }
    try {
      poison.push(...(await writeAll(batch, valid)));
      if (poison.length > 0) {
        await withDeadline(deadLetter.write(o.groupId, poison), deadlineMs, `sink ${o.name} dead-letter write`);
        for (const p of poison) {
          metrics.sinkDeadLetter(o.name, deadLetterReason(p.error));
          log.warn("SINK_DEAD_LETTERED", { sink: o.name, groupId: o.groupId, ...p.message.position, error: p.error.slice(0, 300) });
        }
      }
    } catch (e) {
      metrics.sinkBatch(o.name, "retry", batch.messages.length, (performance.now() - started) / 1000);
      const reason = stallReason(e);
      const error = (e instanceof Error ? e.message : String(e)).slice(0, 300);
      const fields = { sink: o.name, topic: batch.topic, partition: batch.partition, firstOffset: batch.messages[0]?.position.offset, reason, error };
      if (status.state !== "stalled") {
        status.stalled_since = new Date(now()).toISOString();
        log.error("SINK_STALLED", fields);
      } else if (e instanceof PortError) log.warn("SINK_BATCH_RETRY", fields);
      else log.error("SINK_BATCH_RETRY", fields);
      status.state = "stalled";
      status.errors++;
      status.last_error = error;
      metrics.sinkStall(o.name, true, reason);
      // Always retriable towards the bus: nothing is committed, the batch comes back after a backoff.
      throw e instanceof PortError && e.retriable ? e : new PortError(`sink ${o.name} stalled (${reason}): ${error}`, true, { cause: e });
    }
    const storedAt = now();
    if (status.state === "stalled") {
      log.info("SINK_RESUMED", { sink: o.name, stalledSince: status.stalled_since });
      metrics.sinkStall(o.name, false);
    }
    status.state = "running";
    status.last_write_at = new Date(storedAt).toISOString();
    delete status.stalled_since;
    metrics.sinkBatch(o.name, "ok", batch.messages.length - poison.length, (performance.now() - started) / 1000);
    for (const m of valid) {
      const produced = Date.parse(m.value.produced_at);
      if (Number.isFinite(produced)) metrics.sinkEndToEndSeconds(o.name, Math.max(0, storedAt - produced) / 1000);
    }
    o.onStored?.(valid, storedAt);
  };

  const sub = await o.bus.subscribe({ groupId: o.groupId, topics: o.topics, handleBatch });
  let timer: NodeJS.Timeout | undefined;
  if ((o.lagSampleMs ?? 0) > 0) {
    timer = setInterval(() => {
      sub.lag().then(
        (lags) => lags.forEach((l) => metrics.consumerLag(o.groupId, l.topic, l.partition, l.lag)),
        (e: unknown) => log.warn("LAG_UNAVAILABLE", { groupId: o.groupId, error: String(e) }),
      );
    }, o.lagSampleMs);
    timer.unref();
  }
  return {
    name: o.name,
    groupId: o.groupId,
    status: () => ({ ...status }),
    lag: () => sub.lag(),
    async stop() {
      if (timer) clearInterval(timer);
      await sub.stop();
    },
  };
}
