import { silentLogger } from "../../core/contracts/logger.js";
import { randomUUID } from "node:crypto";
import { Kafka } from "kafkajs";
import { describe, expect, it } from "vitest";
import { loadTopicSpecs } from "../schema/topics.js";
import { TOPICS, type EventBus } from "../ports/index.js";
import { runBusContract, type BusHarness } from "../testing/bus.contract.js";
import type { KafkaBus, KafkaBusOptions } from "./kafka-bus.js";
import { createKafkaBusFor, KAFKA_CLIENTS, type KafkaClientName } from "./kafka-client.js";

// Runs against the broker of infra/stack.sh (KAFKA_BROKERS, default 127.0.0.1:9092). The same
// contract suite and error cases run for each Kafka client behind the port (config KAFKA_CLIENT);
// BUS_CONTRACT_CLIENTS=kafkajs (or platformatic) runs one of them.
const brokers = (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(",");
const quiet = silentLogger;
const only = process.env.BUS_CONTRACT_CLIENTS?.split(",").filter(Boolean);
const alert = { schema: "vigil.alert", schema_version: 1, produced_at: "2026-01-01T00:00:00Z", payload: {} } as const;

function busFor(kind: KafkaClientName, options: Partial<KafkaBusOptions> & { topicPrefix?: string }): KafkaBus {
  return createKafkaBusFor(kind, {
    brokers,
    clientId: "vigil-bus-contract",
    redelivery: { initialMs: 50, maxMs: 500 },
    sessionTimeoutMs: 10_000,
    heartbeatIntervalMs: 1000,
    log: quiet,
    ...options,
  });
}

function harnessFor(kind: KafkaClientName): BusHarness {
  return {
    async namespace(partitions) {
      const prefix = `test-${randomUUID().slice(0, 8)}.`;
      const clients: EventBus[] = [];
      const admin = busFor(kind, { topicPrefix: prefix });
      clients.push(admin);
      // The real layout (compression.type=lz4, retention) capped for one broker, so the suite also
      // proves LZ4 decoding: the broker stores these topics LZ4-compressed.
      await admin.ensureTopics(loadTopicSpecs({ localPartitions: partitions, localReplication: 1 }));
      return {
        client: async () => {
          const c = busFor(kind, { topicPrefix: prefix });
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
}

for (const kind of KAFKA_CLIENTS.filter((c) => !only || only.includes(c))) {
  runBusContract(`kafka (${kind})`, harnessFor(kind));

  describe(`kafka bus errors (${kind})`, () => {
    it("fails publish with a retriable PortError when no broker listens", async () => {
      const bus = busFor(kind, { brokers: ["127.0.0.1:1"], clientId: "vigil-dead", connectionTimeoutMs: 300, publishRetries: 1, publishTimeoutMs: 5000 });
      const err = await bus.publish([{ topic: TOPICS.raw, key: "k", value: alert }]).catch((e: unknown) => e);
      expect(err).toMatchObject({ retriable: true });
      await bus.close();
    });

    it("fails publish to a missing topic without hanging", async () => {
      const bus = busFor(kind, { topicPrefix: `missing-${randomUUID().slice(0, 8)}.` });
      const err = await bus.publish([{ topic: TOPICS.raw, key: "k", value: alert }]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(String(err)).toMatch(/kafka publish/);
      await bus.close();
    });
  });
}
