import { silentLogger } from "../../core/contracts/logger.js";
import { randomUUID } from "node:crypto";
import { Kafka } from "kafkajs";
import { describe, expect, it } from "vitest";
import { loadTopicSpecs } from "../../infra/kafka/topics.js";
import { TOPICS, type EventBus } from "../ports.js";
import { runBusContract, type BusHarness } from "../testing/bus.contract.js";
import { createKafkaBus, type KafkaBus } from "./kafka-bus.js";

// Runs against the broker of infra/stack.sh (KAFKA_BROKERS, default 127.0.0.1:9092).
const brokers = (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(",");
const quiet = silentLogger;

function client(prefix: string): KafkaBus {
  return createKafkaBus({
    brokers,
    clientId: "vigil-bus-contract",
    topicPrefix: prefix,
    redelivery: { initialMs: 50, maxMs: 500 },
    sessionTimeoutMs: 10_000,
    heartbeatIntervalMs: 1000,
    log: quiet,
  });
}

const harness: BusHarness = {
  async namespace(partitions) {
    const prefix = `test-${randomUUID().slice(0, 8)}.`;
    const clients: EventBus[] = [];
    const admin = client(prefix);
    clients.push(admin);
    // The real layout (compression.type=lz4, retention) capped for one broker, so the suite also
    // proves the LZ4 codec: the broker stores these topics LZ4-compressed.
    await admin.ensureTopics(loadTopicSpecs({ localPartitions: partitions, localReplication: 1 }));
    return {
      client: async () => {
        const c = client(prefix);
        clients.push(c);
        return c;
      },
      dispose: async () => {
        await Promise.all(clients.map((c) => c.close()));
        const admin = new Kafka({ clientId: "vigil-bus-contract-cleanup", brokers, logLevel: 0 }).admin();
        await admin.connect();
        await admin.deleteTopics({ topics: Object.values(TOPICS).map((t) => prefix + t) }).catch(() => undefined);
        await admin.disconnect();
      },
    };
  },
};

runBusContract("kafka", harness);

describe("kafka bus errors", () => {
  it("fails publish with a retriable PortError when no broker listens", async () => {
    const bus = createKafkaBus({ brokers: ["127.0.0.1:1"], clientId: "vigil-dead", connectionTimeoutMs: 300, publishRetries: 1, publishTimeoutMs: 5000, log: quiet });
    const err = await bus.publish([{ topic: TOPICS.raw, key: "k", value: { schema: "vigil.alert", schema_version: 1, produced_at: "2026-01-01T00:00:00Z", payload: {} } }]).catch((e: unknown) => e);
    expect(err).toMatchObject({ retriable: true });
    await bus.close();
  });

  it("fails publish to a missing topic without hanging", async () => {
    const bus = client(`missing-${randomUUID().slice(0, 8)}.`);
    const err = await bus.publish([{ topic: TOPICS.raw, key: "k", value: { schema: "vigil.alert", schema_version: 1, produced_at: "2026-01-01T00:00:00Z", payload: {} } }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String(err)).toMatch(/kafka publish/);
    await bus.close();
  });
});
