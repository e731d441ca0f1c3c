import { randomBytes, randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import kafkajs from "kafkajs";
import { describe, expect, it } from "vitest";
import { createCardPartitioner } from "./partitioner.js";
import { murmur2 } from "./topics.js";

const require = createRequire(import.meta.url);
const kafkajsMurmur2 = require("kafkajs/src/producer/partitioners/default/murmur2.js") as (key: Buffer | string) => number;

const metadata = (n: number) => Array.from({ length: n }, (_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));

describe("card partitioner", () => {
  const keys = [
    "", "a", "ab", "abc", "abcd", "abcde", "é", "日本語のキー", "🃏 card",
    ...Array.from({ length: 3000 }, () => randomBytes(32).toString("hex")),
    ...Array.from({ length: 1000 }, () => randomBytes(32).toString("base64url")),
    ...Array.from({ length: 1000 }, () => randomUUID()),
    ...Array.from({ length: 1000 }, (_, i) => randomBytes(i % 97).toString("latin1")),
  ];

  it("hashes exactly like kafkajs's murmur2 (the Java client's)", () => {
    for (const k of keys) expect(murmur2(Buffer.from(k)), k).toBe(kafkajsMurmur2(k));
  });

  it("chooses the partition kafkajs's default partitioner chooses, for every partition count, cached or not", () => {
    const ours = createCardPartitioner();
    const theirs = kafkajs.Partitioners.DefaultPartitioner();
    for (const n of [1, 3, 4, 16, 64]) {
      const partitionMetadata = metadata(n);
      for (const k of keys.slice(0, 1500)) {
        for (const key of [k, k, Buffer.from(k)]) {
          const args = { topic: "t", partitionMetadata, message: { key, value: "v" } };
          expect(ours(args)).toBe(theirs(args));
        }
      }
    }
    const args = { topic: "t", partitionMetadata: metadata(8), message: { key: "k", value: "v", partition: 5 } };
    expect(ours(args)).toBe(5);
  });
});
