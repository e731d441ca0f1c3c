import kafkajs, { type Admin, type Kafka, type KafkaConfig, type LogEntry, type Producer } from "kafkajs";
import type { Logger } from "../../core/contracts/logger.js";
import { createJsonLogger } from "../log.js";
import type { EventBus, IncomingMessage, OutgoingMessage, SubscribeOptions, Subscription } from "../ports/index.js";
import { backoffDelay, DEFAULT_BACKOFF, sleep, type BackoffPolicy } from "./backoff.js";
import { decodeMessageText, rememberValidatedText } from "./envelope.js";
import { toPortError, withTimeout } from "./kafka-errors.js";
import { registerLz4Codec } from "./lz4-codec.js";
import { createCardPartitioner } from "./partitioner.js";
import { createPublishQueue } from "./publish-queue.js";
import { topicNamer, type TopicAdmin, type TopicSpec } from "./topics.js";
import { partitionLag } from "./lag.js";

const { Kafka: KafkaClient, logLevel: KafkaLogLevel } = kafkajs;

export interface KafkaBusOptions {
  brokers: string[];
  clientId: string;
  /** Prepended to every topic name (test isolation, several environments on one cluster). */
  topicPrefix?: string;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** kafkajs send retries before publish fails (retriable) and the HTTP caller gets a 503. */
  publishRetries?: number;
  publishTimeoutMs?: number;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** Partitions handled at once per consumer; order within one partition is always kept. */
  partitionsConsumedConcurrently?: number;
  /** Wait before a failed batch is delivered again. */
  redelivery?: BackoffPolicy;
  /** Upper bound on messages coalesced into one produce request (default 4000). */
  maxMessagesPerRequest?: number;
  /** A new consumer group starts at the oldest retained message (default) instead of the end. */
  fromBeginning?: boolean;
  /** Entries carry code BUS and a free-text message. */
  log?: Logger;
}

export type KafkaFactory = (config: KafkaConfig) => Kafka;
export type KafkaBus = EventBus &
  TopicAdmin & {
    /** Deletes topics (logical names, under this bus's prefix): clean-up of test namespaces. */
    deleteTopics(names: string[]): Promise<void>;
  };

const defaultLog = createJsonLogger({ component: "kafka-bus" });

export function createKafkaBus(options: KafkaBusOptions, kafkaFactory: KafkaFactory = (c) => new KafkaClient(c)): KafkaBus {
  registerLz4Codec();
  const log = options.log ?? defaultLog;
  const names = topicNamer(options.topicPrefix);
  const kafka = kafkaFactory({
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: options.connectionTimeoutMs ?? 3000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    logLevel: KafkaLogLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      // Bounded producer retries are deliberate (see publish); kafkajs warns about them once.
      if (entry.log.message.startsWith("Limiting retries for the idempotent producer")) return;
      const { message, ...rest } = entry.log;
      const fields = { message: `${entry.namespace}: ${message}`, ...rest };
      if (entry.level <= KafkaLogLevel.ERROR) log.error("BUS", fields);
      else log.warn("BUS", fields);
    },
  });
  const redelivery = options.redelivery ?? DEFAULT_BACKOFF;
  const subscriptions = new Set<Subscription>();
  let producer: Promise<Producer> | undefined;
  let admin: Promise<Admin> | undefined;
  let closed = false;

  function getProducer(): Promise<Producer> {
    producer ??= (async () => {
      // Idempotent + acks=all: the broker drops duplicates from producer retries. Retries are
      // bounded (kafkajs would retry forever) so a dead broker turns into a 503 the edge retries.
      const p = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        // kafkajs's default partitioning (a card's messages share one partition number), cheaper (partitioner.ts).
        createPartitioner: createCardPartitioner,
        retry: { retries: options.publishRetries ?? 5, initialRetryTime: 100, maxRetryTime: 2000 },
      });
      await p.connect();
      return p;
    })();
    producer.catch(() => (producer = undefined));
    return producer;
  }

  function getAdmin(): Promise<Admin> {
    admin ??= (async () => {
      const a = kafka.admin({ retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 3000 } });
      await a.connect();
      return a;
    })();
    admin.catch(() => (admin = undefined));
    return admin;
  }

  async function dropProducer(): Promise<void> {
    const p = producer;
    producer = undefined;
    if (p) await p.then((x) => x.disconnect()).catch(() => undefined);
  }

  const enqueue = createPublishQueue(send, options.maxMessagesPerRequest ?? 4000);

  function publish(messages: OutgoingMessage[]): Promise<void> {
    if (closed) return Promise.reject(toPortError(new Error("bus closed"), "publish"));
    if (messages.length === 0) return Promise.resolve();
    return enqueue(messages);
  }

  async function send(messages: OutgoingMessage[]): Promise<void> {
    const byTopic = new Map<string, Array<{ key: string; value: string }>>();
    for (const m of messages) {
      const topic = names.physical(m.topic);
      let list = byTopic.get(topic);
      if (!list) byTopic.set(topic, (list = []));
      const value = JSON.stringify(m.value);
      if (m.validated) rememberValidatedText(value);
      list.push({ key: m.key, value });
    }
    const topicMessages = [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs }));
    try {
      const p = await withTimeout(getProducer(), options.publishTimeoutMs ?? 15_000, "connect");
      await withTimeout(p.sendBatch({ topicMessages, acks: -1 }), options.publishTimeoutMs ?? 15_000, "publish");
    } catch (e) {
      const err = toPortError(e, "publish");
      // A producer in an unknown state (fenced, sequence error, timed out) is rebuilt next time.
      await dropProducer();
      throw err;
    }
  }

  async function subscribe({ groupId, topics, handleBatch, fromEnd }: SubscribeOptions): Promise<Subscription> {
    const heartbeatInterval = options.heartbeatIntervalMs ?? 3000;
    const consumer = kafka.consumer({
      groupId,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval,
      allowAutoTopicCreation: false,
      retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 5000, restartOnFailure: async () => !stopped },
    });
    const failures = new Map<string, number>();
    const resumeTimers = new Set<NodeJS.Timeout>();
    let stopped = false;
    consumer.on(consumer.events.CRASH, (e) => {
      log.error("BUS", { message: "consumer crashed; kafkajs restarts it", groupId, error: String(e.payload.error), restart: e.payload.restart });
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: topics.map(names.physical), fromBeginning: fromEnd ? false : (options.fromBeginning ?? true) });
      await consumer.run({
        autoCommit: true,
        // Commit as soon as one offset is resolved: commitOffsetsIfNecessary after each batch commits.
        autoCommitThreshold: 1,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 4,
        eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale, pause }) => {
          const last = batch.messages[batch.messages.length - 1];
          if (!last || !isRunning() || isStale()) return;
          const topic = names.logical(batch.topic);
          const tp = `${batch.topic}/${batch.partition}`;
          const messages: IncomingMessage[] = batch.messages.map((m) => ({
            key: m.key?.toString("utf8") ?? "",
            value: decodeMessageText(m.value?.toString("utf8") ?? ""),
            position: { topic, partition: batch.partition, offset: m.offset },
          }));
          // Long sink writes must not cost the group membership: beat while the handler runs.
          const beat = setInterval(() => void heartbeat().catch(() => undefined), heartbeatInterval);
          try {
            await handleBatch({ topic, partition: batch.partition, messages });
          } catch (e) {
            const attempt = (failures.get(tp) ?? 0) + 1;
            failures.set(tp, attempt);
            const delay = backoffDelay(redelivery, attempt);
            log.warn("BUS", { message: "batch failed; it will be delivered again",
              groupId, topic: batch.topic, partition: batch.partition, firstOffset: batch.firstOffset(), attempt, delayMs: delay,
              error: e instanceof Error ? e.message : String(e),
            });
            if (!isRunning() || isStale()) return;
            // Nothing resolved: rewind to the batch start and hold the partition for the backoff.
            const resume = pause();
            consumer.seek({ topic: batch.topic, partition: batch.partition, offset: batch.firstOffset() ?? last.offset });
            const t = setTimeout(() => {
              resumeTimers.delete(t);
              resume();
            }, delay);
            resumeTimers.add(t);
            return;
          } finally {
            clearInterval(beat);
          }
          failures.delete(tp);
          resolveOffset(last.offset);
          await commitOffsetsIfNecessary();
        },
      });
    } catch (e) {
      await consumer.disconnect().catch(() => undefined);
      throw toPortError(e, "subscribe");
    }

    const subscription: Subscription = {
      async stop() {
        if (stopped) return;
        stopped = true;
        for (const t of resumeTimers) clearTimeout(t);
        subscriptions.delete(subscription);
        await consumer.stop().catch(() => undefined);
        await consumer.disconnect().catch(() => undefined);
      },
      async lag() {
        try {
          const a = await getAdmin();
          const out: Array<{ topic: string; partition: number; lag: number }> = [];
          for (const logical of topics) {
            const physical = names.physical(logical);
            const [ends, committed] = await Promise.all([a.fetchTopicOffsets(physical), a.fetchOffsets({ groupId, topics: [physical] })]);
            const done = new Map(committed[0]?.partitions.map((p) => [p.partition, BigInt(p.offset)]) ?? []);
            for (const end of ends) {
              out.push({ topic: logical, partition: end.partition, lag: partitionLag(BigInt(end.high), BigInt(end.low), done.get(end.partition) ?? -1n) });
            }
          }
          return out.sort((x, y) => x.topic.localeCompare(y.topic) || x.partition - y.partition);
        } catch (e) {
          throw toPortError(e, "lag");
        }
      },
    };
    subscriptions.add(subscription);
    return subscription;
  }

  async function ensureTopics(specs: TopicSpec[]): Promise<void> {
    // Topic creation on a busy broker can outlast one admin retry cycle (leaders not elected yet);
    // it is idempotent, so the whole step is retried until every topic has its leaders.
    for (let attempt = 1; ; attempt++) {
      try {
        const a = await getAdmin();
        const existing = new Set(await a.listTopics());
        const missing = specs.filter((s) => !existing.has(names.physical(s.name)));
        if (missing.length > 0) {
          await a.createTopics({
            waitForLeaders: true,
            topics: missing.map((s) => ({
              topic: names.physical(s.name),
              numPartitions: s.partitions,
              replicationFactor: s.replicationFactor,
              configEntries: Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value })),
            })),
          });
          log.info("BUS", { message: "created topics", topics: missing.map((s) => names.physical(s.name)) });
        }
        await a.fetchTopicMetadata({ topics: specs.map((s) => names.physical(s.name)) });
        return;
      } catch (e) {
        const err = toPortError(e, "create topics");
        if (!err.retriable || attempt >= 6) throw err;
        await sleep(backoffDelay({ initialMs: 500, maxMs: 5000 }, attempt));
      }
    }
  }

  async function deleteTopics(logical: string[]): Promise<void> {
    try {
      const a = await getAdmin();
      const existing = new Set(await a.listTopics());
      const topics = logical.map(names.physical).filter((t) => existing.has(t));
      if (topics.length > 0) await a.deleteTopics({ topics });
    } catch (e) {
      throw toPortError(e, "delete topics");
    }
  }

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    await Promise.all([...subscriptions].map((s) => s.stop()));
    await dropProducer();
    const a = admin;
    admin = undefined;
    if (a) await a.then((x) => x.disconnect()).catch(() => undefined);
  }

  return { publish, subscribe, close, ensureTopics, deleteTopics };
}
