import type { ScoredEvent } from "../core/schemas.js";

// Sending scored events to a Cloudflare Queue: what the queue counts per record and the sharing
// sender. Queues take at most 100 messages and 256 KB per sendBatch (and 128 KB per message), so
// records are packed into chunks under both. Here, beside the CardState outbox that sends through
// it; the Workers adapter's DLQ redrive forwarder uses the same sender.

export const MAX_BATCH_MESSAGES = 100;
/** Below the 256 KB platform limit, leaving room for per-message envelope overhead. */
export const MAX_BATCH_BYTES = 240 * 1024;
export const MAX_MESSAGE_BYTES = 128 * 1024;
/** Counted per message on top of its body: id, timestamps, content type. */
const MESSAGE_OVERHEAD_BYTES = 128;

const encoder = new TextEncoder();
const NON_ASCII = /[^\x00-\x7f]/;

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

/** Sends records of several callers together (see createSharedSender). */
export interface SharedSender {
  /**
   * Resolves once every item was accepted by the queue; rejects otherwise, after marking
   * `accepted` on the items whose chunk the queue took (the rest may be sent again).
   */
  send(items: SizedRecord[]): Promise<void>;
}

/**
 * Sends pre-sized records, shared between callers: while a sendBatch is in
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

/** Packs sized records into sendBatch-sized chunks, in order. */
export function chunkSizedItems(items: readonly SizedRecord[]): SizedRecord[][] {
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
