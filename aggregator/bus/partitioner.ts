import type { ICustomPartitioner } from "kafkajs";

// kafkajs's default (Java-compatible) partitioner, cheaper: its murmur2 runs on 64-bit Long
// objects and a Buffer per call (about 10 µs and several allocations per message at ingest), and
// every event publishes 3–4 messages under the same key (raw, verdict, feature row, alert or
// review item). This one hashes the key's UTF-8 bytes with 32-bit integer arithmetic (the Java
// client's murmur2), remembers the last few thousand keys, and picks the partition the way the
// default partitioner does: explicit partition, else murmur2(key) & 0x7fffffff mod the partition
// count. partitioner.test.ts checks it against kafkajs's own on random and real-shaped keys, so a
// card keeps its partition whichever of the two produced it.

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Kafka's murmur2 of a byte string (signed 32-bit result, as the Java client returns it). */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i << 2;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length & ~3;
  const rest = length & 3;
  if (rest === 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) {
    h ^= data[tail]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

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
