import type { ICustomPartitioner } from "kafkajs";
import { murmur2 } from "./topics.js";

// kafkajs's default (Java-compatible) partitioner, cheaper: its murmur2 runs on 64-bit Long
// objects and a Buffer per call (about 10 µs and several allocations per message at ingest), and
// every event publishes 3–4 messages under the same key (raw, verdict, feature row, alert or
// review item). This one hashes the key's UTF-8 bytes with the embedded bus's 32-bit murmur2
// (topics.ts, the Java client's), remembers the last few thousand keys, and picks the partition the way the
// default partitioner does: explicit partition, else murmur2(key) & 0x7fffffff mod the partition
// count. partitioner.test.ts checks it against kafkajs's own on random and real-shaped keys, so a
// card keeps its partition whichever of the two produced it.

const encoder = new TextEncoder();
const CACHE_LIMIT = 16_384;

/** For kafka.producer({ createPartitioner }): the default partitioner's choice, computed once per recent key. */
export const createCardPartitioner: ICustomPartitioner = () => {
  const hashes = new Map<string, number>();
  let roundRobin = Math.floor(Math.random() * 0x7fffffff);
  return ({ partitionMetadata, message }) => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    const key = message.key;
    if (key !== null && key !== undefined) {
      let h: number | undefined;
      if (typeof key === "string") {
        h = hashes.get(key);
        if (h === undefined) {
          if (hashes.size >= CACHE_LIMIT) hashes.clear();
          h = murmur2(encoder.encode(key)) & 0x7fffffff;
          hashes.set(key, h);
        }
      } else h = murmur2(key) & 0x7fffffff;
      return h % partitionMetadata.length;
    }
    // No key (the bus always sets one): round robin over partitions with a leader, as kafkajs does.
    const available = partitionMetadata.filter((p) => p.leader >= 0);
    roundRobin = (roundRobin + 1) & 0x7fffffff;
    return available.length > 0 ? available[roundRobin % available.length]!.partitionId : roundRobin % partitionMetadata.length;
  };
};
