import type { ScoredEvent } from "../../core/schemas.js";
import type { Forwarder } from "../ports.js";

// Producer side: hands scored events to a Cloudflare Queue. Queues take at most 100 messages and
// 256 KB per sendBatch (and 128 KB per message), so records are packed into chunks under both.

export const MAX_BATCH_MESSAGES = 100;
/** Below the 256 KB platform limit, leaving room for per-message envelope overhead. */
export const MAX_BATCH_BYTES = 240 * 1024;
export const MAX_MESSAGE_BYTES = 128 * 1024;
/** Counted per message on top of its body: id, timestamps, content type. */
const MESSAGE_OVERHEAD_BYTES = 128;

export class RecordTooLargeError extends Error {
  readonly retriable = false;
  constructor(readonly transactionId: string, readonly bytes: number) {
    super(`scored event ${transactionId} is ${bytes} bytes, over the ${MAX_MESSAGE_BYTES}-byte queue message limit`);
    this.name = "RecordTooLargeError";
  }
}

const encoder = new TextEncoder();
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * Splits records into sendBatch-sized chunks; throws RecordTooLargeError for a record no queue can
 * carry. Sizes are counted as the JSON the queue will carry (contentType "json").
 */
export function chunkForQueue(records: readonly ScoredEvent[]): ScoredEvent[][] {
  return chunkSizedItems(records.map(sized)).map((chunk) => chunk.map((s) => s.record));
}

function sized(r: ScoredEvent): SizedRecord {
  const size = queueSize(JSON.stringify(r));
  if (size > MAX_MESSAGE_BYTES) throw new RecordTooLargeError(r.event.transaction_id, size);
  return { record: r, size };
}

/** A record with its queue size (JSON bytes + overhead) already counted; `accepted` is set once the queue took it. */
export interface SizedRecord {
  record: ScoredEvent;
  size: number;
  accepted?: boolean;
}

/** The size the queue counts for a record whose JSON text is known (ASCII JSON, the usual case, has as many bytes as characters: encoded only when it is not). */
export function queueSize(json: string): number {
  return (NON_ASCII.test(json) ? encoder.encode(json).byteLength : json.length) + MESSAGE_OVERHEAD_BYTES;
}

interface Waiting {
  items: SizedRecord[];
  settled: boolean;
  error?: unknown;
}

/** Sends records of several callers together; see createQueueForwarder for the sharing rule. */
export interface SharedSender {
  /**
   * Resolves once every item was accepted by the queue; rejects otherwise, after marking
   * `accepted` on the items whose chunk the queue took (the rest may be sent again).
   */
  send(items: SizedRecord[]): Promise<void>;
}

/**
 * The sharing core of createQueueForwarder, over pre-sized records: while a sendBatch is in
 * flight, other callers' records wait and then go together in the next one, sent by one of the
 * waiting callers in its own context. A failed chunk fails every caller with an item in it; the
 * other chunks still go.
 */
export function createSharedSender(queue: Queue<ScoredEvent>): SharedSender {
  let waiting: Waiting[] = [];
  let sending: Promise<void> | null = null;

  async function send(batch: Waiting[]): Promise<void> {
    const failed = new Set<SizedRecord>();
    let error: unknown;
    const all = batch.flatMap((w) => w.items);
    for (const chunk of chunkSizedItems(all)) {
      try {
        // JSON, not V8 serialization: the consumer may run elsewhere and the sizes above stay true.
        await queue.sendBatch(chunk.map((s) => ({ body: s.record, contentType: "json" as const })));
        for (const s of chunk) s.accepted = true;
      } catch (err) {
        error = err;
        for (const s of chunk) failed.add(s);
      }
    }
    for (const w of batch) {
      w.settled = true;
      if (error !== undefined && w.items.some((s) => failed.has(s))) w.error = error;
    }
  }

  return {
    async send(items) {
      if (items.length === 0) return;
      const mine: Waiting = { items, settled: false };
      waiting.push(mine);
      while (!mine.settled) {
        if (sending) {
          await sending;
          continue;
        }
        const batch = waiting;
        waiting = [];
        sending = send(batch).finally(() => {
          sending = null;
        });
        await sending;
      }
      if (mine.error !== undefined) throw mine.error;
    },
  };
}

function chunkSizedItems(items: readonly SizedRecord[]): SizedRecord[][] {
  const chunks: SizedRecord[][] = [];
  let current: SizedRecord[] = [];
  let bytes = 0;
  for (const item of items) {
    if (current.length > 0 && (current.length >= MAX_BATCH_MESSAGES || bytes + item.size > MAX_BATCH_BYTES)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += item.size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * Resolves once every record is accepted by the queue (at-least-once from there on); rejects
 * otherwise. Requests of one isolate share sends: while a sendBatch is in flight, records of other
 * requests wait and then go together in the next one (sent by one of the waiting requests, in its
 * own request context, so every send belongs to a request that is still waiting for it). No timer:
 * an idle isolate sends at once; a busy one sends fewer, larger batches. A failed send fails every
 * request whose records it carried (each logs it, as before); an oversized record fails only its
 * own request, before anything is queued.
 */
export function createQueueForwarder(queue: Queue<ScoredEvent>): Forwarder {
  const shared = createSharedSender(queue);
  return {
    async forward(records) {
      if (records.length === 0) return;
      await shared.send(records.map(sized));
    },
  };
}
