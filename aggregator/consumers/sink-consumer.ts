import { silentLogger, type Logger } from "../../core/contracts/logger.js";
import { validateEnvelope } from "../bus/envelope.js";
import { noopMetrics, type Metrics } from "../metrics.js";
import { PortError, type EventBus, type IncomingMessage, type MessageBatch, type Subscription, type TopicName } from "../ports.js";
import { busDeadLetter, deadLetterReason, type DeadLetterWriter } from "./dead-letter.js";

// Runs one sink handler per partition batch. Outcomes:
//  - the sink resolved: the bus commits the batch's offsets;
//  - a retriable error (or any error that is not a PortError: a bug must not lose data): the
//    handler rejects, nothing is committed, and the bus delivers the same batch again after a
//    capped exponential backoff (bus option `redelivery`);
//  - a poison message (bad envelope, unknown schema or version, or a non-retriable PortError for
//    one message): it goes to fraud-dead-letter with the error and its position, and the rest of
//    the batch is written.

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
}

export interface SinkConsumer extends Subscription {
  readonly name: string;
  readonly groupId: string;
}

/** The index of the refused message when the sink says which one (aggregator/sinks' PoisonMessageError). */
function poisonIndex(e: unknown): number | undefined {
  if (!(e instanceof PortError) || e.retriable) return undefined;
  const i = (e as PortError & { index?: unknown }).index;
  return typeof i === "number" && Number.isInteger(i) ? i : undefined;
}

const isPoison = (e: unknown) => e instanceof PortError && !e.retriable;

export async function startSinkConsumer(o: SinkConsumerOptions): Promise<SinkConsumer> {
  const metrics = o.metrics ?? noopMetrics;
  const now = o.now ?? Date.now;
  const log = o.log ?? silentLogger;
  const deadLetter = o.deadLetter ?? busDeadLetter(o.bus, now);

  /** Writes `messages`, returning the ones refused for good; throws only retriable failures. */
  async function writeAll(batch: MessageBatch, messages: IncomingMessage[]): Promise<Array<{ message: IncomingMessage; error: string }>> {
    const refused: Array<{ message: IncomingMessage; error: string }> = [];
    let rest = messages;
    while (rest.length > 0) {
      try {
        await o.sink({ ...batch, messages: rest });
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
            await o.sink({ ...batch, messages: [m] });
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
      if (v.ok) valid.push(m);
      else poison.push({ message: m, error: v.error });
    }
    try {
      poison.push(...(await writeAll(batch, valid)));
      if (poison.length > 0) {
        await deadLetter.write(o.groupId, poison);
        for (const p of poison) {
          metrics.sinkDeadLetter(o.name, deadLetterReason(p.error));
          log.warn("SINK_DEAD_LETTERED", { sink: o.name, groupId: o.groupId, ...p.message.position, error: p.error.slice(0, 300) });
        }
      }
    } catch (e) {
      metrics.sinkBatch(o.name, "retry", batch.messages.length, (performance.now() - started) / 1000);
      const fields = {
        sink: o.name, topic: batch.topic, partition: batch.partition, firstOffset: batch.messages[0]?.position.offset,
        error: e instanceof Error ? e.message : String(e),
      };
      if (e instanceof PortError) log.warn("SINK_BATCH_RETRY", fields);
      else log.error("SINK_BATCH_RETRY", fields);
      throw e instanceof PortError ? e : new PortError(`sink ${o.name} failed: ${String(e)}`, true, { cause: e });
    }
    const storedAt = now();
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
    lag: () => sub.lag(),
    async stop() {
      if (timer) clearInterval(timer);
      await sub.stop();
    },
  };
}
