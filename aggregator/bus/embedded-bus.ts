import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../../core/contracts/logger.js";
import { createJsonLogger } from "../log.js";
import { PortError, type EventBus, type IncomingMessage, type OutgoingMessage, type SubscribeOptions, type Subscription, type TopicName } from "../ports/index.js";
import { backoffDelay, DEFAULT_BACKOFF, sleep, type BackoffPolicy } from "./backoff.js";
import { decodeMessageValue } from "./envelope.js";
import { lockDataDir, OffsetStore, PartitionLog, readTopicLayout, writeTopicLayout, type StoredMessage } from "./embedded-log.js";
import { partitionForKey, type TopicAdmin, type TopicSpec } from "./topics.js";

// The bus of the embedded profile: Kafka's semantics in one process. Topics have partitions chosen
// by the key's hash, consumer groups split partitions among members, offsets are committed only
// after the handler resolved, a failed batch is delivered again after a backoff, and everything
// survives a restart (files under dataDir/bus).

export interface EmbeddedBusOptions {
  dataDir: string;
  /** Largest batch handed to a handler. */
  maxBatch?: number;
  redelivery?: BackoffPolicy;
  /** Entries carry code BUS and a free-text message. */
  log?: Logger;
}

export type EmbeddedBus = EventBus & TopicAdmin;

interface Member {
  id: number;
  groupId: string;
  topics: TopicName[];
  handleBatch: SubscribeOptions["handleBatch"];
  workers: Map<string, { abort: AbortController; done: Promise<void> }>;
}

const defaultLog = createJsonLogger({ component: "embedded-bus" });

export async function createEmbeddedBus(options: EmbeddedBusOptions): Promise<EmbeddedBus> {
  const dir = join(options.dataDir, "bus");
  const unlock = lockDataDir(dir);
  const log = options.log ?? defaultLog;
  const maxBatch = options.maxBatch ?? 500;
  const redelivery = options.redelivery ?? DEFAULT_BACKOFF;
  const offsets = new OffsetStore(join(dir, "offsets.json"));
  const layout = readTopicLayout(dir);
  const logs = new Map<string, PartitionLog[]>();
  const members = new Map<string, Member[]>();
  /** The worker currently owning a group's partition: a new owner waits for the old one to finish. */
  const owners = new Map<string, Promise<void>>();
  let nextMemberId = 1;
  let closed = false;
  let publishing: Promise<unknown> = Promise.resolve();

  async function openTopic(name: string, partitions: number): Promise<void> {
    mkdirSync(join(dir, name), { recursive: true });
    const parts: PartitionLog[] = [];
    for (let p = 0; p < partitions; p++) parts.push(await PartitionLog.open(join(dir, name, `${p}.jsonl`)));
    logs.set(name, parts);
  }
  for (const [name, n] of Object.entries(layout)) await openTopic(name, n);

  function partitionsOf(topic: string): PartitionLog[] {
    const parts = logs.get(topic);
    if (!parts) throw new PortError(`unknown topic ${topic} (create it with ensureTopics)`, false);
    return parts;
  }

  async function ensureTopics(specs: TopicSpec[]): Promise<void> {
    for (const s of specs) {
      if (logs.has(s.name)) continue;
      await openTopic(s.name, s.partitions);
      layout[s.name] = s.partitions;
    }
    writeTopicLayout(dir, layout);
  }

  async function publish(messages: OutgoingMessage[]): Promise<void> {
    if (closed) throw new PortError("embedded bus closed", true);
    // Validate every topic first: a publish is all or nothing, as with one Kafka produce call.
    const grouped = new Map<PartitionLog, StoredMessage[]>();
    const ts = Date.now();
    for (const m of messages) {
      const parts = partitionsOf(m.topic);
      const part = parts[partitionForKey(m.key, parts.length)]!;
      let list = grouped.get(part);
      if (!list) grouped.set(part, (list = []));
      list.push({ key: m.key, value: JSON.stringify(m.value), ts });
    }
    // Serialized: file order must equal offset order, and a message is visible only once durable.
    const run = publishing.then(async () => {
      try {
        // Each partition file written and synced on its own, all at once: one publish touches up to
        // ~20 partition files, and one after the other cost a thread-pool round trip each (most of an
        // ingest request's time on a busy machine). Order within a file is kept: publishes are serial.
        await Promise.all(
          [...grouped].map(async ([part, items]) => {
            await part.append(items);
            await part.sync();
          }),
        );
      } catch (e) {
        throw new PortError(`embedded bus write failed: ${e instanceof Error ? e.message : String(e)}`, true, { cause: e });
      }
      for (const [part, items] of grouped) part.expose(items);
    });
    publishing = run.catch(() => undefined);
    await run;
  }

  function rebalance(groupId: string): void {
    const group = members.get(groupId) ?? [];
    const tps: string[] = [];
    const topics = [...new Set(group.flatMap((m) => m.topics))].sort();
    for (const t of topics) partitionsOf(t).forEach((_, p) => tps.push(`${t}/${p}`));
    const want = new Map<Member, Set<string>>(group.map((m) => [m, new Set<string>()]));
    // Round robin over members subscribed to each topic, in join order.
    tps.forEach((tp, i) => {
      const topic = tp.slice(0, tp.lastIndexOf("/"));
      const eligible = group.filter((m) => m.topics.includes(topic as TopicName));
      if (eligible.length > 0) want.get(eligible[i % eligible.length]!)!.add(tp);
    });
    for (const m of group) {
      const target = want.get(m)!;
      for (const [tp, w] of m.workers) {
        if (!target.has(tp)) {
          w.abort.abort();
          m.workers.delete(tp);
        }
      }
      for (const tp of target) if (!m.workers.has(tp)) startWorker(m, tp);
    }
  }

  function startWorker(m: Member, tp: string): void {
    const abort = new AbortController();
    const key = `${m.groupId}\u0000${tp}`;
    const previous = owners.get(key) ?? Promise.resolve();
    const done = previous.then(() => runWorker(m, tp, abort.signal)).catch((e: unknown) => {
      log.error("BUS", { message: "partition worker stopped on an error", groupId: m.groupId, tp, error: String(e) });
    });
    owners.set(key, done);
    m.workers.set(tp, { abort, done });
  }

  async function runWorker(m: Member, tp: string, signal: AbortSignal): Promise<void> {
    const slash = tp.lastIndexOf("/");
    const topic = tp.slice(0, slash);
    const partition = Number(tp.slice(slash + 1));
    const part = partitionsOf(topic)[partition]!;
    let attempt = 0;
    while (!signal.aborted) {
      const from = offsets.get(m.groupId, tp);
      if (part.messages.length <= from) {
        await part.waitBeyond(from, signal);
        continue;
      }
      const slice = part.messages.slice(from, from + maxBatch);
      const batch: IncomingMessage[] = slice.map((s, i) => ({
        key: s.key,
        value: decodeMessageValue(s.value),
        position: { topic, partition, offset: String(from + i) },
      }));
      try {
        await m.handleBatch({ topic, partition, messages: batch });
      } catch (e) {
        attempt++;
        const delay = backoffDelay(redelivery, attempt);
        log.warn("BUS", { message: "batch failed; it will be delivered again",
          groupId: m.groupId, topic, partition, firstOffset: String(from), attempt, delayMs: delay,
          error: e instanceof Error ? e.message : String(e),
        });
        await sleep(delay, signal);
        continue;
      }
      attempt = 0;
      // Committed even when revoked meanwhile: the next owner waits for this worker to finish.
      try {
        await offsets.commit(m.groupId, tp, from + slice.length);
      } catch (e) {
        // The batch is written; at worst a restart delivers it again (sinks are idempotent).
        log.error("BUS", { message: "offset commit failed", groupId: m.groupId, tp, error: String(e) });
        await sleep(backoffDelay(redelivery, 1), signal);
      }
    }
  }

  async function subscribe({ groupId, topics, handleBatch, fromEnd }: SubscribeOptions): Promise<Subscription> {
    if (closed) throw new PortError("embedded bus closed", true);
    for (const t of topics) partitionsOf(t);
    if (fromEnd && !offsets.has(groupId)) {
      for (const t of topics) {
        await Promise.all(partitionsOf(t).map((part, p) => offsets.commit(groupId, `${t}/${p}`, part.messages.length)));
      }
    }
    const member: Member = { id: nextMemberId++, groupId, topics: [...topics], handleBatch, workers: new Map() };
    members.set(groupId, [...(members.get(groupId) ?? []), member]);
    rebalance(groupId);
    // One stop per subscription, and every caller awaits the same one: close() must not return
    // while a stop begun elsewhere (a client that went away) is still writing offsets.json.
    let stopping: Promise<void> | undefined;
    const stop = async (): Promise<void> => {
      const running = [...member.workers.values()];
      for (const w of running) w.abort.abort();
      member.workers.clear();
      members.set(groupId, (members.get(groupId) ?? []).filter((x) => x !== member));
      rebalance(groupId);
      await Promise.all(running.map((w) => w.done));
      // An ephemeral reader's group is not kept in offsets.json once its last member leaves.
      if (fromEnd && (members.get(groupId) ?? []).length === 0) await offsets.forget(groupId);
    };
    const subscription: Subscription = {
      stop() {
        stopping ??= stop();
        return stopping;
      },
      async lag() {
        const out: Array<{ topic: string; partition: number; lag: number }> = [];
        for (const t of [...topics].sort()) {
          partitionsOf(t).forEach((part, p) => {
            out.push({ topic: t, partition: p, lag: Math.max(0, part.messages.length - offsets.get(groupId, `${t}/${p}`)) });
          });
        }
        return out;
      },
    };
    subs.add(subscription);
    return subscription;
  }
  const subs = new Set<Subscription>();

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    await Promise.all([...subs].map((s) => s.stop()));
    await publishing;
    for (const parts of logs.values()) for (const p of parts) await p.close();
    unlock();
  }

  return { publish, subscribe, close, ensureTopics };
}
