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
  const chunks: ScoredEvent[][] = [];
  let current: ScoredEvent[] = [];
  let bytes = 0;
  for (const r of records) {
    const json = JSON.stringify(r);
    // ASCII JSON (the usual case) has as many bytes as characters; encode only when it is not.
    const size = (NON_ASCII.test(json) ? encoder.encode(json).byteLength : json.length) + MESSAGE_OVERHEAD_BYTES;
    if (size > MAX_MESSAGE_BYTES) throw new RecordTooLargeError(r.event.transaction_id, size);
    if (current.length > 0 && (current.length >= MAX_BATCH_MESSAGES || bytes + size > MAX_BATCH_BYTES)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(r);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Resolves once every record is accepted by the queue (at-least-once from there on); rejects otherwise. */
export function createQueueForwarder(queue: Queue<ScoredEvent>): Forwarder {
  return {
    async forward(records) {
      for (const chunk of chunkForQueue(records)) {
        // JSON, not V8 serialization: the consumer may run elsewhere and the sizes above stay true.
        await queue.sendBatch(chunk.map((body) => ({ body, contentType: "json" as const })));
      }
    },
  };
}
