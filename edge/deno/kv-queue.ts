/// <reference path="./queue-types.d.ts" />
import { z } from "zod";
import type { ScoredEvent } from "../../core/schemas.js";
import { handleScoredEventBatch, type BatchSummary, type DeadLetter, type ForwardDeps, type ForwardEnv } from "../forwarding/consumer.js";
import { letterOf } from "../forwarding/dead-letters.js";
import { RecordTooLargeError } from "../forwarding/record-too-large.js";
import { kvDeadLetterStore } from "./kv-dead-letters.js";
import type { Forwarder, Logger } from "../ports.js";

// Forwarding on Deno: the producer enqueues scored events on the Deno KV queue; the listener hands
// each delivery to the SAME consumer as on Workers (edge/forwarding/consumer.ts: signing, 2xx/4xx/
// 5xx classification, backoff, dead-lettering) through a MessageBatch-shaped adapter. Retries are
// re-enqueued with the consumer's backoff as `delay` and the attempt counter + 1; dead letters are
// parked in the zone's dead-letter store (edge/deno/kv-dead-letters.ts: ["dlq", parked_at, message_id]). keysIfUndelivered is the last net: if the
// listener itself keeps throwing (a bug, KV down), Deno KV stores the message under ["dlq", "undelivered", id].

/** KV queue values are limited to 64 KiB: records are packed into messages below this. */
export const MAX_MESSAGE_BYTES = 60 * 1024;
export const QUEUE_NAME = "vigil-scored-events";

const KvMessageSchema = z.object({
  kind: z.literal("vigil.scored-events"),
  id: z.string(),
  /** Delivery number of this message's records (1 = first try). */
  attempts: z.number().int().positive(),
  first_enqueued_at: z.string(),
  records: z.array(z.unknown()),
});
export type KvMessage = z.infer<typeof KvMessageSchema>;

const encoder = new TextEncoder();

/** Splits records into KV-queue-sized chunks; a single record over the limit is refused. */
export function chunkForKv(records: readonly unknown[], transactionIdOf: (r: unknown, i: number) => string): unknown[][] {
  const chunks: unknown[][] = [];
  let current: unknown[] = [];
  let bytes = 0;
  records.forEach((r, i) => {
    const size = encoder.encode(JSON.stringify(r)).byteLength + 16;
    if (size > MAX_MESSAGE_BYTES) throw new RecordTooLargeError(transactionIdOf(r, i), size, MAX_MESSAGE_BYTES);
    if (current.length > 0 && bytes + size > MAX_MESSAGE_BYTES) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(r);
    bytes += size;
  });
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** One queue message and its options, for kv.enqueue or inside an atomic commit (the card store's outbox). */
export function kvMessage(records: unknown[], attempts: number, firstAt: string, delayMs: number): { msg: KvMessage; options: { delay: number; keysIfUndelivered: Deno.KvKey[] } } {
  const id = crypto.randomUUID();
  return {
    msg: { kind: "vigil.scored-events", id, attempts, first_enqueued_at: firstAt, records },
    options: { delay: Math.max(0, Math.round(delayMs)), keysIfUndelivered: [["dlq", "undelivered", id]] },
  };
}

async function enqueue(kv: Deno.Kv, records: unknown[], attempts: number, firstAt: string, delayMs: number): Promise<void> {
  const { msg, options } = kvMessage(records, attempts, firstAt, delayMs);
  const res = await kv.enqueue(msg, options);
  if (!res.ok) throw new Error("KV enqueue was not committed");
}

/** The Deno Forwarder: resolves once every record is on the KV queue (at-least-once from there). */
export function createKvForwarder(kv: Deno.Kv, now: () => number = () => Date.now()): Forwarder {
  return {
    async forward(records: ScoredEvent[]) {
      const at = new Date(now()).toISOString();
      const chunks = chunkForKv(records, (r) => (r as ScoredEvent).event.transaction_id);
      for (const chunk of chunks) await enqueue(kv, chunk, 1, at, 0);
    },
  };
}

/** Dead letters as a Queue-shaped DLQ over the zone's DeadLetterStore (edge/deno/kv-dead-letters.ts). */
function kvDeadLetterQueue(kv: Deno.Kv): Queue<DeadLetter> {
  const metrics = { backlogCount: 0, backlogBytes: 0 };
  const store = kvDeadLetterStore(kv);
  const put = async (letter: DeadLetter) => {
    await store.park([letterOf({ id: letter.message_id, body: letter, attempts: letter.attempts, timestamp: new Date(letter.dead_lettered_at) }, QUEUE_NAME)]);
  };
  return {
    metrics: () => Promise.resolve(metrics),
    async send(letter) {
      await put(letter);
      return { metadata: { metrics } };
    },
    async sendBatch(messages) {
      for (const m of messages) await put(m.body);
      return { metadata: { metrics } };
    },
  };
}

export interface KvConsumerOptions {
  kv: Deno.Kv;
  /** AGGREGATOR_URL, AGGREGATOR_SECRET, FORWARD_* (parsed by the shared loadForwardConfig). */
  env: Record<string, unknown>;
  log: Logger;
  deps?: Omit<ForwardDeps, "log">;
}

/** Handles one KV queue delivery; exported for tests. Resolves with what the shared consumer did. */
export async function handleKvMessage(o: KvConsumerOptions, raw: unknown): Promise<BatchSummary> {
  const parsed = KvMessageSchema.safeParse(raw);
  const now = o.deps?.now ?? (() => Date.now());
  if (!parsed.success) {
    const at = new Date(now()).toISOString();
    const id = crypto.randomUUID();
    await kvDeadLetterStore(o.kv).park([{ id, reason: "INVALID_RECORD", transaction_id: null, letter: { record: raw, reason: "INVALID_RECORD", dead_lettered_at: at, message_id: id } }]);
    o.log.error("FORWARD_DEAD_LETTERED", { message_id: id, reason: "INVALID_RECORD", code: "INVALID_QUEUE_MESSAGE" });
    return { acked: 0, retried: 0, deadLettered: 1 };
  }
  const msg = parsed.data;
  const timestamp = new Date(Date.parse(msg.first_enqueued_at) || now());
  const retries = new Map<number, unknown[]>(); // delaySeconds → records
  const retry = (body: unknown, delaySeconds: number) => {
    const list = retries.get(delaySeconds);
    if (list) list.push(body);
    else retries.set(delaySeconds, [body]);
  };
  const messages: Message<unknown>[] = msg.records.map((body, i) => ({
    id: `${msg.id}:${i}`,
    timestamp,
    body,
    attempts: msg.attempts,
    ack: () => undefined,
    retry: (opts) => retry(body, opts?.delaySeconds ?? 0),
  }));
  const batch: MessageBatch<unknown> = {
    messages,
    queue: QUEUE_NAME,
    metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } },
    ackAll: () => undefined,
    retryAll: (opts) => {
      for (const m of messages) retry(m.body, opts?.delaySeconds ?? 0);
    },
  };
  const env: ForwardEnv = { ...(o.env as ForwardEnv), DLQ: kvDeadLetterQueue(o.kv) };
  const summary = await handleScoredEventBatch(batch, env, { ...o.deps, log: o.log });
  // As on Workers, a message neither retried nor dead-lettered is acked: nothing to do for it.
  for (const [delaySeconds, records] of retries) {
    // A retried record never grows, so it still fits a message; the chunking keeps that true.
    for (const chunk of chunkForKv(records, (_r, i) => `${msg.id}:${i}`)) {
      await enqueue(o.kv, chunk, msg.attempts + 1, msg.first_enqueued_at, delaySeconds * 1000);
    }
    o.log.info("FORWARD_RETRY_SCHEDULED", { message_id: msg.id, records: records.length, attempts: msg.attempts, delay_s: delaySeconds });
  }
  return summary;
}

/** Starts the KV queue listener; the promise settles when the KV store is closed. */
export function listenForScoredEvents(o: KvConsumerOptions): Promise<void> {
  return o.kv.listenQueue(async (raw: unknown) => {
    await handleKvMessage(o, raw);
  });
}
