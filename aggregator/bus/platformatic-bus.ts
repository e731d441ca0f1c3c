import {
  Admin,
  compatibilityPartitioner,
  Consumer,
  ListOffsetTimestamps,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  ProduceAcks,
  Producer,
  stringDeserializers,
  stringSerializers,
  type ConsumerGroupJoinPayload,
  type Message,
  type MessagesStream,
} from "@platformatic/kafka";
import { createJsonLogger } from "../log.js";
import type { IncomingMessage, OutgoingMessage, SubscribeOptions, Subscription } from "../ports/index.js";
import { backoffDelay, DEFAULT_BACKOFF, sleep } from "./backoff.js";
import { decodeMessageValue } from "./envelope.js";
import type { KafkaBus, KafkaBusOptions } from "./kafka-bus.js";
import { withTimeout } from "./kafka-errors.js";
import { toPlatformaticPortError as toPortError } from "./platformatic-errors.js";
import { createPublishQueue } from "./publish-queue.js";
import { topicNamer, type TopicSpec } from "./topics.js";
import { partitionLag } from "./lag.js";

// The EventBus on @platformatic/kafka (maintained, pure TypeScript), the same shape and guarantees
// as the kafkajs adapter (kafka-bus.ts) and run by the same contract suite:
// - publish: idempotent producer, acks=all, bounded retries and a deadline, concurrent publishes
//   coalesced into one produce request; keys partitioned like Java and kafkajs (murmur2, positive),
//   so a card lands on the same partition number whichever client (or the embedded bus) wrote it.
// - subscribe: one consumer group member per subscription, offsets committed by hand only after the
//   handler resolved. @platformatic/kafka hands messages one by one on a stream (fetching, heartbeats
//   and processing are decoupled); this adapter regroups each fetch into per-partition batches, runs
//   up to `partitionsConsumedConcurrently` partitions at once (one batch per partition at a time, in
//   offset order) and delivers a failed batch again after a backoff, holding that partition's later
//   messages behind it. The stream has no seek, so a batch is re-delivered from memory; after a crash
//   or a rebalance the group's committed offsets decide, as with kafkajs.

type Msg = Message<string, string, string, string>;

interface PartitionState {
  topic: string;
  partition: number;
  /** Fetched, not yet handled: the failed batch (if any) first, then newer messages. */
  pending: Msg[];
  /** Offset of the next message this partition expects; a rewound stream's repeats are dropped. */
  next: bigint;
  busy: boolean;
  /** In the ready queue. */
  queued: boolean;
  failures: number;
  retryTimer?: NodeJS.Timeout;
}

const defaultLog = createJsonLogger({ component: "kafka-bus" });

export function createPlatformaticBus(options: KafkaBusOptions): KafkaBus {
  const log = options.log ?? defaultLog;
  const names = topicNamer(options.topicPrefix);
  const redelivery = options.redelivery ?? DEFAULT_BACKOFF;
  const connectTimeout = options.connectionTimeoutMs ?? 3000;
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  const publishTimeout = options.publishTimeoutMs ?? 15_000;
  const base = {
    clientId: options.clientId,
    bootstrapBrokers: options.brokers,
    connectTimeout,
    requestTimeout,
    // Jittered backoff between the library's own retries, capped like the kafkajs adapter's.
    retryDelay: (_c: unknown, _op: string, attempt: number) => backoffDelay({ initialMs: 100, maxMs: 2000 }, attempt),
  };
  const subscriptions = new Set<Subscription>();
  let producer: Producer<string, string, string, string> | undefined;
  let admin: Admin | undefined;
  let closed = false;

  function getProducer(): Producer<string, string, string, string> {
    // Idempotent + acks=all: the broker drops duplicates from producer retries (the library pins
    // one request in flight per connection for it). Retries are bounded (the library would retry
    // an idempotent send forever, and reads 0 or 1 as "forever") so a dead broker becomes a 503.
    producer ??= new Producer({
      ...base,
      serializers: stringSerializers,
      idempotent: true,
      acks: ProduceAcks.ALL,
      autocreateTopics: false,
      partitioner: compatibilityPartitioner,
      retries: Math.max(2, options.publishRetries ?? 5),
    });
    return producer;
  }

  function getAdmin(): Admin {
    admin ??= new Admin({ ...base, retries: 5 });
    return admin;
  }

  async function dropProducer(): Promise<void> {
    const p = producer;
    producer = undefined;
    if (p) await p.close(true).catch(() => undefined);
  }

  const enqueue = createPublishQueue(send, options.maxMessagesPerRequest ?? 4000);

  function publish(messages: OutgoingMessage[]): Promise<void> {
    if (closed) return Promise.reject(toPortError(new Error("bus closed"), "publish"));
    if (messages.length === 0) return Promise.resolve();
    return enqueue(messages);
  }

  async function send(messages: OutgoingMessage[]): Promise<void> {
    const out = messages.map((m) => ({ topic: names.physical(m.topic), key: m.key, value: JSON.stringify(m.value) }));
    try {
      await withTimeout(getProducer().send({ messages: out }), publishTimeout, "publish");
    } catch (e) {
      const err = toPortError(e, "publish");
      // A producer in an unknown state (fenced, sequence error, timed out) is rebuilt next time.
      await dropProducer();
      throw err;
    }
  }

  async function subscribe({ groupId, topics, handleBatch, fromEnd }: SubscribeOptions): Promise<Subscription> {
    const physical = topics.map(names.physical);
    const concurrency = options.partitionsConsumedConcurrently ?? 4;
    // About what one kafkajs fetch hands over per partition (1 MB of ~1 KB envelopes).
    const maxBatch = 1000;
    // Fetched but unhandled messages held in memory before the stream is paused.
    const maxBuffered = 20_000;
    const consumer = new Consumer({
      ...base,
      groupId,
      deserializers: stringDeserializers,
      autocommit: false,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: options.heartbeatIntervalMs ?? 3000,
      rebalanceTimeout: Math.max(60_000, options.sessionTimeoutMs ?? 30_000),
      maxWaitTime: 5000,
      maxBytesPerPartition: 1024 * 1024,
      retries: 8,
    });
    const states = new Map<string, PartitionState>();
    const inFlight = new Set<Promise<void>>();
    const commitsDue = new Map<string, { topic: string; partition: number; offset: bigint; leaderEpoch: number }>();
    /** Handled batches waiting for their offsets to be committed (or given up: revoked, stopped). */
    const commitWaiters = new Map<string, Array<{ offset: bigint; done: () => void }>>();
    let committing: Promise<void> | undefined;
    let commitRetry: NodeJS.Timeout | undefined;
    let restartTimer: NodeJS.Timeout | undefined;
    let stream: MessagesStream<string, string, string, string> | undefined;
    let buffered = 0;
    let active = 0;
    let streamPaused = false;
    let dispatchScheduled = false;
    /** Partitions with messages to hand over, oldest first: each gets its turn (no starvation). */
    const ready: PartitionState[] = [];
    let stopped = false;
    let restarts = 0;

    const keyOf = (topic: string, partition: number) => `${topic}:${partition}`;

    /** This member's partitions in the current generation (a fetch begun before a rebalance may
     * still hand over messages of partitions that moved to another member: those are dropped). */
    let owned = { assignments: null as typeof consumer.assignments, keys: new Set<string>() };
    function owns(topic: string, partition: number): boolean {
      if (owned.assignments !== consumer.assignments) {
        const keys = new Set<string>();
        for (const a of consumer.assignments ?? []) for (const p of a.partitions) keys.add(keyOf(a.topic, p));
        owned = { assignments: consumer.assignments, keys };
      }
      return owned.keys.has(keyOf(topic, partition));
    }

    function onMessage(m: Msg): void {
      if (!owns(m.topic, m.partition)) return;
      const key = keyOf(m.topic, m.partition);
      let s = states.get(key);
      if (!s) states.set(key, (s = { topic: m.topic, partition: m.partition, pending: [], next: -1n, busy: false, queued: false, failures: 0 }));
      if (m.offset < s.next) return; // a rewound stream (rebalance) repeats what is already here
      s.next = m.offset + 1n;
      s.pending.push(m);
      buffered++;
      enqueue(s);
      if (buffered >= maxBuffered && !streamPaused && stream) {
        streamPaused = true;
        stream.pause();
      }
      // One fetch response arrives as one synchronous burst of messages: batch it whole.
      if (!dispatchScheduled) {
        dispatchScheduled = true;
        setImmediate(dispatch);
      }
    }

    function enqueue(s: PartitionState): void {
      if (s.queued || s.busy || s.retryTimer || s.pending.length === 0) return;
      s.queued = true;
      ready.push(s);
    }

    function dispatch(): void {
      dispatchScheduled = false;
      if (stopped) return;
      while (active < concurrency && ready.length > 0) {
        const s = ready.shift()!;
        s.queued = false;
        if (states.get(keyOf(s.topic, s.partition)) !== s || s.busy || s.retryTimer || s.pending.length === 0) continue;
        const batch = s.pending.splice(0, maxBatch);
        const run = runBatch(s, batch);
        inFlight.add(run);
        void run.finally(() => inFlight.delete(run));
      }
    }

    async function runBatch(s: PartitionState, batch: Msg[]): Promise<void> {
      s.busy = true;
      active++;
      const topic = names.logical(s.topic);
      const messages: IncomingMessage[] = batch.map((m) => ({
        key: m.key ?? "",
        value: decodeMessageValue(m.value ?? ""),
        position: { topic, partition: s.partition, offset: m.offset.toString() },
      }));
      let handled = false;
      try {
        await handleBatch({ topic, partition: s.partition, messages });
        handled = true;
        s.failures = 0;
        release(batch.length);
      } catch (e) {
        s.failures++;
        const delay = backoffDelay(redelivery, s.failures);
        log.warn("BUS", { message: "batch failed; it will be delivered again", groupId, topic: s.topic, partition: s.partition,
          firstOffset: batch[0]!.offset.toString(), attempt: s.failures, delayMs: delay, error: e instanceof Error ? e.message : String(e) });
        if (states.get(keyOf(s.topic, s.partition)) === s && !stopped) {
          // Nothing of the batch is committed: it goes back in front and the partition waits.
          s.pending.unshift(...batch);
          s.retryTimer = setTimeout(() => {
            s.retryTimer = undefined;
            enqueue(s);
            dispatch();
          }, delay);
        } else {
          release(batch.length);
        }
      } finally {
        active--;
        // The slot is free for another partition while this one waits for its commit.
        if (!stopped && !dispatchScheduled && ready.length > 0) {
          dispatchScheduled = true;
          setImmediate(dispatch);
        }
      }
      // As kafkajs's eachBatch does, the partition's next batch waits until this one's offsets are
      // committed: a re-delivery after a crash or rebalance then always starts at the first offset
      // of the batch that was not committed, which the archive sink's exactly-once relies on.
      // Other partitions go on meanwhile, and their commits share one request.
      // (A stopping subscription still commits what was handled, as kafkajs's stop does.)
      if (handled && states.get(keyOf(s.topic, s.partition)) === s) {
        const last = batch[batch.length - 1]!;
        await queueCommit(s.topic, s.partition, last.offset + 1n, last.leaderEpoch);
      }
      s.busy = false;
      enqueue(s);
      if (!stopped && !dispatchScheduled) {
        dispatchScheduled = true;
        setImmediate(dispatch);
      }
    }

    function release(n: number): void {
      buffered -= n;
      if (streamPaused && buffered < maxBuffered / 2 && stream) {
        streamPaused = false;
        stream.resume();
      }
    }

    /** Forgets partitions this member no longer owns (their next owner starts at the group's commit). */
    function onJoin(payload: ConsumerGroupJoinPayload): void {
      const mine = new Set<string>();
      for (const a of payload.assignments ?? consumer.assignments ?? []) for (const p of a.partitions) mine.add(keyOf(a.topic, p));
      for (const [key, s] of states) {
        if (mine.has(key)) continue;
        clearTimeout(s.retryTimer);
        release(s.pending.length);
        s.pending = [];
        states.delete(key);
        commitsDue.delete(key);
        settleCommits(key);
      }
      void flushCommits();
    }

    /** Resolves once a commit at or past `offset` has landed, or the partition is given up. */
    function queueCommit(topic: string, partition: number, offset: bigint, leaderEpoch: number): Promise<void> {
      const key = keyOf(topic, partition);
      const due = commitsDue.get(key);
      if (!due || due.offset < offset) commitsDue.set(key, { topic, partition, offset, leaderEpoch });
      const waited = new Promise<void>((done) => {
        let list = commitWaiters.get(key);
        if (!list) commitWaiters.set(key, (list = []));
        list.push({ offset, done });
      });
      void flushCommits();
      return waited;
    }

    /** Wakes the waiters of `key` up to `offset` (every waiter when no offset: given up). */
    function settleCommits(key: string, offset?: bigint): void {
      const list = commitWaiters.get(key);
      if (!list) return;
      const rest = list.filter((w) => offset !== undefined && w.offset > offset);
      for (const w of list) if (!rest.includes(w)) w.done();
      if (rest.length > 0) commitWaiters.set(key, rest);
      else commitWaiters.delete(key);
    }

    /** One commit request at a time, carrying the newest handled offset of every partition. */
    function flushCommits(): Promise<void> {
      if (committing) return committing;
      if (commitsDue.size === 0) return Promise.resolve();
      // Mid-rebalance a commit fails and makes the library rejoin again: wait for the join.
      if (!consumer.isActive()) return Promise.resolve();
      const offsets = [...commitsDue.values()];
      commitsDue.clear();
      committing = (async () => {
        try {
          await consumer.commit({ offsets });
          for (const o of offsets) settleCommits(keyOf(o.topic, o.partition), o.offset);
        } catch (e) {
          log.warn("BUS", { message: "offset commit failed; it is tried again", groupId, error: toPortError(e, "commit").message });
          for (const o of offsets) {
            const key = keyOf(o.topic, o.partition);
            const due = commitsDue.get(key);
            if (!states.has(key) || stopped) settleCommits(key);
            else if (!due || due.offset < o.offset) commitsDue.set(key, o);
          }
          if (!stopped && !commitRetry) {
            commitRetry = setTimeout(() => {
              commitRetry = undefined;
              void flushCommits();
            }, 500);
          }
        } finally {
          committing = undefined;
        }
        if (commitsDue.size > 0 && !stopped) await flushCommits();
      })();
      return committing;
    }

    async function startStream(): Promise<void> {
      const s = await consumer.consume({
        topics: physical,
        autocommit: false,
        mode: MessagesStreamModes.COMMITTED,
        fallbackMode: fromEnd || options.fromBeginning === false ? MessagesStreamFallbackModes.LATEST : MessagesStreamFallbackModes.EARLIEST,
        sessionTimeout: options.sessionTimeoutMs ?? 30_000,
        heartbeatInterval: options.heartbeatIntervalMs ?? 3000,
      });
      stream = s;
      streamPaused = false;
      s.on("data", onMessage);
      s.on("error", (e: Error) => {
        if (stopped || stream !== s) return;
        restartStream(e);
      });
    }

    /**
     * The stream is gone (the library destroys it on a fetch or offset failure it cannot recover);
     * the consumer is not. Forget what was fetched and start a new stream from the group's commits.
     */
    function restartStream(cause: unknown): void {
      stream = undefined;
      for (const st of states.values()) clearTimeout(st.retryTimer);
      buffered -= [...states.values()].reduce((n, st) => n + st.pending.length, 0);
      states.clear();
      ready.length = 0;
      commitsDue.clear();
      for (const key of [...commitWaiters.keys()]) settleCommits(key);
      restarts++;
      const delay = backoffDelay({ initialMs: 500, maxMs: 10_000 }, restarts);
      log.error("BUS", { message: "consumer stream failed; it restarts", groupId, error: toPortError(cause, "consume").message, delayMs: delay });
      restartTimer = setTimeout(() => {
        restartTimer = undefined;
        if (stopped) return;
        startStream().then(
          () => (restarts = 0),
          (err: unknown) => {
            if (!stopped) restartStream(err);
          },
        );
      }, delay);
    }

    consumer.on("consumer:group:join", onJoin);
    try {
      await startStream();
    } catch (e) {
      stopped = true;
      await consumer.close(true).catch(() => undefined);
      throw toPortError(e, "subscribe");
    }

    const subscription: Subscription = {
      async stop() {
        if (stopped) return;
        stopped = true;
        subscriptions.delete(subscription);
        clearTimeout(restartTimer);
        clearTimeout(commitRetry);
        for (const s of states.values()) clearTimeout(s.retryTimer);
        await stream?.close().catch(() => undefined);
        // Like kafkajs's stop: the batches being handled finish and their offsets are committed.
        const running = Promise.allSettled([...inFlight]);
        for (;;) {
          const finished = await Promise.race([running.then(() => true), sleep(50).then(() => false)]);
          await committing?.catch(() => undefined);
          if (commitsDue.size > 0 && consumer.isActive()) {
            const offsets = [...commitsDue.values()];
            commitsDue.clear();
            await consumer.commit({ offsets }).catch((e: unknown) =>
              log.warn("BUS", { message: "final offset commit failed", groupId, error: toPortError(e, "commit").message }),
            );
          }
          for (const key of [...commitWaiters.keys()]) settleCommits(key);
          if (finished) break;
        }
        consumer.removeListener("consumer:group:join", onJoin);
        await consumer.close(true).catch(() => undefined);
      },
      async lag() {
        try {
          const partitions = async (t: string) => (await consumer.metadata({ topics: [t] })).topics.get(t)?.partitionsCount ?? 0;
          const counts = await Promise.all(physical.map(partitions));
          const [ends, lows, committed] = await Promise.all([
            consumer.listOffsets({ topics: physical, timestamp: ListOffsetTimestamps.LATEST }),
            consumer.listOffsets({ topics: physical, timestamp: ListOffsetTimestamps.EARLIEST }),
            consumer.listCommittedOffsets({ topics: physical.map((topic, i) => ({ topic, partitions: Array.from({ length: counts[i]! }, (_, p) => p) })) }),
          ]);
          const out: Array<{ topic: string; partition: number; lag: number }> = [];
          for (const t of physical) {
            const high = ends.get(t) ?? [];
            for (let p = 0; p < high.length; p++) {
              out.push({ topic: names.logical(t), partition: p, lag: partitionLag(high[p]!, lows.get(t)?.[p] ?? 0n, committed.get(t)?.[p] ?? -1n) });
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
    // Creation is idempotent and a busy broker can outlast one retry cycle (leaders not elected
    // yet), so the whole step is retried until every topic has a leader on every partition.
    for (let attempt = 1; ; attempt++) {
      try {
        const a = getAdmin();
        const existing = new Set(await a.listTopics());
        const missing = specs.filter((s) => !existing.has(names.physical(s.name)));
        for (const s of missing) {
          await a
            .createTopics({
              topics: [names.physical(s.name)],
              partitions: s.partitions,
              replicas: s.replicationFactor,
              configs: Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value })),
            })
            .catch((e: unknown) => {
              // Another process created it in between: fine.
              if (!(e instanceof Error && /TOPIC_ALREADY_EXISTS|already exists/i.test(`${e.message} ${String((e as { errors?: unknown }).errors ?? "")}`))) throw e;
            });
        }
        if (missing.length > 0) log.info("BUS", { message: "created topics", topics: missing.map((s) => names.physical(s.name)) });
        const wanted = specs.map((s) => names.physical(s.name));
        for (let wait = 0; ; wait++) {
          const md = await a.metadata({ topics: wanted, forceUpdate: true });
          const ready = wanted.every((t) => {
            const tm = md.topics.get(t);
            return tm !== undefined && tm.partitions.length > 0 && tm.partitions.every((p) => p !== undefined && p.leader >= 0);
          });
          if (ready) return;
          if (wait >= 50) throw new Error(`topics without leaders after creation: ${wanted.join(", ")}`);
          await sleep(200);
        }
      } catch (e) {
        const err = toPortError(e, "create topics");
        if (!err.retriable || attempt >= 6) throw err;
        await sleep(backoffDelay({ initialMs: 500, maxMs: 5000 }, attempt));
      }
    }
  }

  async function deleteTopics(logical: string[]): Promise<void> {
    try {
      const a = getAdmin();
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
    if (a) await a.close().catch(() => undefined);
  }

  return { publish, subscribe, close, ensureTopics, deleteTopics };
}
