import { silentLogger } from "../../core/contracts/logger.js";
import { mkdtempSync, rmSync, readFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TOPICS, type EventBus, type IncomingMessage } from "../ports/index.js";
import { runBusContract, type BusHarness } from "../testing/bus.contract.js";
import { createEmbeddedBus } from "./embedded-bus.js";
import { partitionForKey } from "./topics.js";

const fast = { initialMs: 20, maxMs: 200 };
const quiet = silentLogger;

const harness: BusHarness = {
  async namespace(partitions) {
    const dir = mkdtempSync(join(tmpdir(), "vigil-bus-"));
    const bus = await createEmbeddedBus({ dataDir: dir, redelivery: fast, log: quiet });
    await bus.ensureTopics(Object.values(TOPICS).map((name) => ({ name, partitions, replicationFactor: 1 })));
    return {
      client: async () => bus,
      dispose: async () => {
        await bus.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

runBusContract("embedded", harness);

describe("embedded bus durability", () => {
  const env = (seq: number) => ({ schema: "vigil.raw-transaction" as const, schema_version: 1 as const, produced_at: "2026-01-01T00:00:00Z", payload: { seq } });

  async function drain(bus: EventBus, groupId: string, expected: number): Promise<IncomingMessage[]> {
    const got: IncomingMessage[] = [];
    const sub = await bus.subscribe({ groupId, topics: [TOPICS.raw], handleBatch: async (b) => void got.push(...b.messages) });
    const end = Date.now() + 30_000;
    while (got.length < expected && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    await sub.stop();
    return got;
  }

  it("keeps messages and committed offsets across a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vigil-bus-"));
    try {
      let bus = await createEmbeddedBus({ dataDir: dir, log: quiet });
      await bus.ensureTopics([{ name: TOPICS.raw, partitions: 2, replicationFactor: 1 }]);
      await bus.publish([0, 1, 2, 3].map((i) => ({ topic: TOPICS.raw, key: `k${i}`, value: env(i) })));
      expect((await drain(bus, "g", 4)).length).toBe(4);
      await bus.close();

      bus = await createEmbeddedBus({ dataDir: dir, log: quiet });
      await bus.publish([4, 5].map((i) => ({ topic: TOPICS.raw, key: `k${i}`, value: env(i) })));
      const after = await drain(bus, "g", 2);
      expect(after.map((m) => (m.value.payload as { seq: number }).seq).sort()).toEqual([4, 5]);
      // A new group still reads everything from the start.
      expect((await drain(bus, "other", 6)).length).toBe(6);
      await bus.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("drops a torn last line left by a crash mid-append", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vigil-bus-"));
    try {
      let bus = await createEmbeddedBus({ dataDir: dir, log: quiet });
      await bus.ensureTopics([{ name: TOPICS.raw, partitions: 1, replicationFactor: 1 }]);
      await bus.publish([{ topic: TOPICS.raw, key: "k", value: env(1) }]);
      await bus.close();
      const file = join(dir, "bus", TOPICS.raw, "0.jsonl");
      appendFileSync(file, '{"k":"k","v":"{\\"sch');
      bus = await createEmbeddedBus({ dataDir: dir, log: quiet });
      await bus.publish([{ topic: TOPICS.raw, key: "k", value: env(2) }]);
      const got = await drain(bus, "g", 2);
      expect(got.map((m) => m.position.offset)).toEqual(["0", "1"]);
      expect(readFileSync(file, "utf8").trim().split("\n")).toHaveLength(2);
      await bus.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a topic that was never created, as a Kafka broker without auto-creation does", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vigil-bus-"));
    try {
      const bus = await createEmbeddedBus({ dataDir: dir, log: quiet });
      await expect(bus.publish([{ topic: TOPICS.alerts, key: "k", value: env(1) }])).rejects.toMatchObject({ retriable: false });
      await bus.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("places keys like Kafka's default partitioner", async () => {
    const { Partitioners } = await import("kafkajs");
    const kafkaPartitioner = Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: 16 }, (_, i) => ({ partitionId: i, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }));
    for (const key of ["a", "card-1", "4f9c2e1b7d", "x".repeat(37), "ünïcødé"]) {
      expect(partitionForKey(key, 16)).toBe(kafkaPartitioner({ topic: "t", partitionMetadata, message: { key, value: null } }));
    }
  });
});
