import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadTopicSpecs, localOverridesFromEnv } from "./topics.js";

describe("loadTopicSpecs", () => {
  it("returns the production layout from topics.json", () => {
    const specs = loadTopicSpecs();
    const byName = new Map(specs.map((s) => [s.name, s]));
    expect([...byName.keys()].sort()).toEqual(
      ["fraud-alerts", "fraud-dead-letter", "fraud-enriched-events", "fraud-raw-transactions", "fraud-review", "fraud-verdicts"],
    );
    // The spec's settings for the feature store's stream.
    expect(byName.get("fraud-enriched-events")).toMatchObject({ partitions: 64, replicationFactor: 3, configs: { "retention.ms": "86400000" } });
    expect(byName.get("fraud-raw-transactions")).toMatchObject({
      partitions: 64,
      replicationFactor: 3,
      configs: { "retention.ms": "86400000", "compression.type": "lz4" },
    });
    expect(byName.get("fraud-alerts")).toMatchObject({ partitions: 16, replicationFactor: 3, configs: { "retention.ms": "604800000" } });
  });

  it("lowers partitions and replication for the local profile, and min.insync.replicas with them", () => {
    const specs = loadTopicSpecs({ localPartitions: 4, localReplication: 1 });
    for (const s of specs) {
      expect(s.partitions).toBeLessThanOrEqual(4);
      expect(s.replicationFactor).toBe(1);
      expect(s.configs["min.insync.replicas"]).toBe("1");
    }
    // never raises a count that is already lower
    expect(loadTopicSpecs({ localPartitions: 1000 }).find((s) => s.name === "fraud-alerts")?.partitions).toBe(16);
  });

  it("rejects an invalid file and invalid caps", () => {
    const dir = mkdtempSync(join(tmpdir(), "topics-"));
    const file = join(dir, "topics.json");
    writeFileSync(file, JSON.stringify({ topics: [{ name: "bad topic", partitions: 0, replicationFactor: 1 }] }));
    expect(() => loadTopicSpecs({ file })).toThrow();
    expect(() => loadTopicSpecs({ localPartitions: 0 })).toThrow();
  });

  it("reads the caps from the environment", () => {
    expect(localOverridesFromEnv({ KAFKA_LOCAL_PARTITIONS: "4", KAFKA_LOCAL_RF: "1" })).toEqual({ localPartitions: 4, localReplication: 1 });
    expect(localOverridesFromEnv({ KAFKA_LOCAL_PARTITIONS: "" })).toEqual({ localPartitions: undefined, localReplication: undefined });
    expect(() => localOverridesFromEnv({ KAFKA_LOCAL_RF: "x" })).toThrow();
  });
});
