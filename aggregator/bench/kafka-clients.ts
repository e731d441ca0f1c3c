import { silentLogger } from "../../core/contracts/logger.js";
import { randomUUID } from "node:crypto";
import { loadTopicSpecs } from "../schema/topics.js";
import { createKafkaBusFor, KAFKA_CLIENTS, type KafkaClientName } from "../bus/kafka-client.js";
import { toMessages } from "../ingest/messages.js";
import { privateEventHour } from "../testing/stack-harness.js";
import { scoredRecords } from "../testing/ingest-fixtures.js";
import { TOPICS, type OutgoingMessage } from "../ports/index.js";

// npx tsx aggregator/bench/kafka-clients.ts — the two Kafka clients behind the same EventBus port
// (aggregator/bus/kafka-client.ts: kafkajs and @platformatic/kafka), on the same broker, the same
// messages (the ingest path's envelopes for BENCH_EVENTS scored events, five topics) and the same
// settings (idempotent producer, acks=all, BENCH_CONCURRENCY publishes of BENCH_BATCH events in
// flight, as concurrent ingest requests make them, coalesced by the adapter). Then each reads
// everything back as one consumer group through the adapter's subscribe. Prints messages/s and
// the process CPU per message for each side. Stack: infra/stack.sh up (KAFKA_BROKERS).

const brokers = (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(",");
const events = Number(process.env.BENCH_EVENTS ?? 40_000);
const batch = Number(process.env.BENCH_BATCH ?? 250);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 8);
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
/** BENCH_CLIENTS=platformatic,kafkajs runs them in that order (alternate it between rounds). */
const order = (process.env.BENCH_CLIENTS?.split(",") ?? [...KAFKA_CLIENTS]).filter((c): c is KafkaClientName => (KAFKA_CLIENTS as readonly string[]).includes(c));

function workload(run: string): OutgoingMessage[][] {
  const baseMs = privateEventHour();
  const out: OutgoingMessage[][] = [];
  for (let from = 0; from < events; from += batch) {
    out.push(toMessages(scoredRecords(from, batch, { run, cards: 5000, baseMs, receivedAt: new Date().toISOString() }), new Date().toISOString()));
  }
  return out;
}

async function timed(what: string, total: number, fn: () => Promise<void>): Promise<{ perSecond: number; cpuUsPerMessage: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const s = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const r = { perSecond: total / s, cpuUsPerMessage: (cpu.user + cpu.system) / total };
  process.stdout.write(`  ${what.padEnd(40)} ${fmt(total)} messages in ${s.toFixed(1)} s = ${fmt(r.perSecond)} messages/s, ${r.cpuUsPerMessage.toFixed(1)} µs CPU/message\n`);
  return r;
}

async function inFlight<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

async function main(): Promise<void> {
  process.stdout.write(`kafka clients: ${fmt(events)} events (${batch} per publish, ${concurrency} in flight) on ${brokers.join(",")}\n`);
  for (const client of order) {
    const prefix = `kbench-${randomUUID().slice(0, 6)}.`;
    const bus = createKafkaBusFor(client, { brokers, clientId: "vigil-kafka-bench", topicPrefix: prefix, log: silentLogger });
    await bus.ensureTopics(loadTopicSpecs({ localPartitions: 4, localReplication: 1 }));
    const work = workload(prefix);
    const total = work.reduce((s, w) => s + w.length, 0);
    try {
      await timed(`${client} publish (EventBus adapter)`, total, () => inFlight(work, concurrency, (w) => bus.publish(w)));
      let seen = 0;
      await timed(`${client} consume (EventBus subscribe)`, total, async () => {
        let done!: () => void;
        const all = new Promise<void>((r) => (done = r));
        const sub = await bus.subscribe({
          groupId: `${prefix}g`,
          topics: Object.values(TOPICS).filter((t) => t !== TOPICS.deadLetter),
          handleBatch: async (b) => {
            seen += b.messages.length;
            if (seen >= total) done();
          },
        });
        await all;
        await sub.stop();
      });
    } finally {
      await bus.deleteTopics(Object.values(TOPICS)).catch(() => undefined);
      await bus.close();
    }
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`kafka-clients bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
