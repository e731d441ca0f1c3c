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
  return chunkSized(records.map(sized));
}

interface Sized {
  record: ScoredEvent;
  size: number;
}

function sized(r: ScoredEvent): Sized {
  const json = JSON.stringify(r);
  // ASCII JSON (the usual case) has as many bytes as characters; encode only when it is not.
  const size = (NON_ASCII.test(json) ? encoder.encode(json).byteLength : json.length) + MESSAGE_OVERHEAD_BYTES;
  if (size > MAX_MESSAGE_BYTES) throw new RecordTooLargeError(r.event.transaction_id, size);
  return { record: r, size };
}

function chunkSized(items: readonly Sized[]): ScoredEvent[][] {
  const chunks: ScoredEvent[][] = [];
  let current: ScoredEvent[] = [];
  let bytes = 0;
  for (const { record, size } of items) {
    if (current.length > 0 && (current.length >= MAX_BATCH_MESSAGES || bytes + size > MAX_BATCH_BYTES)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(record);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

interface Waiting {
  items: Sized[];
  settled: boolean;
  error?: unknown;
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
  let waiting: Waiting[] = [];
  let sending: Promise<void> | null = null;

  async function send(batch: Waiting[]): Promise<void> {
    let error: unknown;
    try {
      for (const chunk of chunkSized(batch.flatMap((w) => w.items))) {
        // JSON, not V8 serialization: the consumer may run elsewhere and the sizes above stay true.
        await queue.sendBatch(chunk.map((body) => ({ body, contentType: "json" as const })));
      }
    } catch (err) {
      error = err;
    }
    for (const w of batch) {
      w.settled = true;
      if (error !== undefined) w.error = error;
    }
  }

  return {
    async forward(records) {
      if (records.length === 0) return;
      const mine: Waiting = { items: records.map(sized), settled: false };
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
