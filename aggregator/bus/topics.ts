import type { TopicName } from "../ports/index.js";

/**
 * What a bus needs to create a topic. Shaped like aggregator/schema/topics.ts's specs so those can be
 * passed straight in; the embedded bus uses only `name` and `partitions`.
 */
export interface TopicSpec {
  name: string;
  partitions: number;
  replicationFactor: number;
  /** Broker topic configs, e.g. retention.ms, compression.type. */
  configs?: Record<string, string>;
}

/** An EventBus that can also create its topics (at start, from the topic specs). */
export interface TopicAdmin {
  ensureTopics(specs: TopicSpec[]): Promise<void>;
}

/**
 * Maps the logical topic names the aggregator uses to physical ones. A prefix isolates test runs
 * (and several environments on one cluster) without touching any caller.
 */
export function topicNamer(prefix = "") {
  return {
    physical: (logical: string) => `${prefix}${logical}`,
    logical: (physical: string): TopicName => physical.slice(prefix.length) as TopicName,
  };
}

/**
 * Kafka's default partitioner (murmur2 of the key, positive, modulo partitions), so the embedded
 * bus places a card on the same partition number a Kafka cluster with the same count would.
 */
export function partitionForKey(key: string, partitions: number): number {
  return (murmur2(Buffer.from(key, "utf8")) & 0x7fffffff) % partitions;
}

/** Kafka's murmur2 of a byte string (signed 32-bit result, as the Java client returns it). */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  const seed = 0x9747b28c;
  const m = 0x5bd1e995;
  const r = 24;
  let h = seed ^ length;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = (data[i4]! & 0xff) + ((data[i4 + 1]! & 0xff) << 8) + ((data[i4 + 2]! & 0xff) << 16) + ((data[i4 + 3]! & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const left = length % 4;
  const index = length - left;
  if (left >= 3) h ^= (data[index + 2]! & 0xff) << 16;
  if (left >= 2) h ^= (data[index + 1]! & 0xff) << 8;
  if (left >= 1) {
    h ^= data[index]! & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h;
}
