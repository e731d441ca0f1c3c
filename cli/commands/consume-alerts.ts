import { parseArgs } from "node:util";
import { randomUUID } from "node:crypto";
import { createKafkaBusFor, KAFKA_CLIENTS, TOPICS, type Envelope, type KafkaClientName } from "../../aggregator/index.js";
import type { Alert } from "../../core/schemas.js";
import { num, opsFlags, UsageError, type Command } from "./common.js";

// Follows the fraud-alerts topic: on Kafka (stack profile) with a throw-away consumer group, so it
// never moves the sinks' offsets, through the Kafka client the aggregator is set to use
// (KAFKA_CLIENT, or --client); on the embedded profile through the aggregator's alert stream.

function line(a: Alert): string {
  return `${a.alert_timestamp} ${a.action_taken.padEnd(7)} score ${a.fraud_score.toFixed(1).padStart(5)} card ${a.card_number_hash.slice(0, 12)}… txn ${a.transaction_id} [${a.rule_triggers.join(", ")}] ${a.fraud_reason}`;
}

function kafkaClientOf(raw: string): KafkaClientName {
  const found = KAFKA_CLIENTS.find((c) => c === raw);
  if (found === undefined) throw new UsageError(`--client (KAFKA_CLIENT) must be one of ${KAFKA_CLIENTS.join(", ")} (got ${JSON.stringify(raw)})`);
  return found;
}

async function fromKafka(client: KafkaClientName, brokers: string[], max: number, seconds: number): Promise<number> {
  const bus = createKafkaBusFor(client, { brokers, clientId: "vigil-consume-alerts", fromBeginning: false });
  let seen = 0;
  const done = new AbortController();
  const sub = await bus.subscribe({
    groupId: `vigil-consume-alerts-${randomUUID()}`,
    topics: [TOPICS.alerts],
    handleBatch: async (batch) => {
      for (const m of batch.messages) {
        console.log(line((m.value as Envelope<Alert>).payload));
        if (++seen >= max) done.abort();
      }
    },
  });
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, seconds * 1000);
    done.signal.addEventListener("abort", () => { clearTimeout(t); resolve(); });
    process.once("SIGINT", () => { clearTimeout(t); resolve(); });
  });
  await sub.stop();
  await bus.close();
  return seen;
}

async function fromAggregator(url: string, token: string, max: number, seconds: number): Promise<number> {
  const res = await fetch(`${url.replace(/\/+$/, "")}/v1/alerts/stream`, {
    headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" },
    signal: AbortSignal.timeout(seconds * 1000),
  });
  if (!res.ok || !res.body) throw new Error(`aggregator answered ${res.status}`);
  let seen = 0;
  let buf = "";
  const decoder = new TextDecoder();
  try {
    for await (const chunk of res.body) {
      buf += decoder.decode(chunk, { stream: true });
      let i: number;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const frame = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = frame.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trim()).join("");
        if (!data) continue;
        console.log(line(JSON.parse(data) as Alert));
        if (++seen >= max) return seen;
      }
    }
  } catch (e) {
    if (!(e instanceof Error && e.name === "TimeoutError")) throw e;
  }
  return seen;
}

export const consumeAlerts: Command = {
  name: "consume-alerts",
  summary: "follow BLOCKED alerts as they are produced (Kafka, or the embedded aggregator)",
  usage: "consume-alerts [--kafka 127.0.0.1:9092 [--client kafkajs|platformatic] | --aggregator http://127.0.0.1:8788 --token T] [--max 100] [--seconds 60]",
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: { kafka: { type: "string" }, client: { type: "string", default: process.env.KAFKA_CLIENT ?? "kafkajs" }, ...opsFlags, max: { type: "string", default: "100" }, seconds: { type: "string", default: "60" } },
    });
    const max = num(values.max, "--max", 1, 1e9);
    const seconds = num(values.seconds, "--seconds", 1, 86_400);
    const seen = values.kafka
      ? await fromKafka(kafkaClientOf(values.client), values.kafka.split(","), max, seconds)
      : await fromAggregator(values.aggregator, values.token, max, seconds);
    console.log(`\n${seen} alerts`);
    return 0;
  },
};
