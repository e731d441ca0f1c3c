import type { Forwarder } from "../../core/contracts/forwarding.js";
import type { ScoredEvent } from "../../core/schemas.js";
import { chunkSizedItems, createSharedSender, MAX_MESSAGE_BYTES, queueSize, type SizedRecord } from "../../durable-objects/queue-sender.js";
import { RecordTooLargeError } from "../forwarding/record-too-large.js";

// Producer side of the Workers adapter: hands scored events to a Cloudflare Queue (the DLQ
// redrive) through the same sizing and sharing sender as the CardState outbox.

/**
 * Splits records into sendBatch-sized chunks; throws RecordTooLargeError for a record no queue can
 * carry. Sizes are counted as the JSON the queue will carry (contentType "json").
 */
export function chunkForQueue(records: readonly ScoredEvent[]): ScoredEvent[][] {
  return chunkSizedItems(records.map(sized)).map((chunk) => chunk.map((s) => s.record));
}

function sized(r: ScoredEvent): SizedRecord {
  const size = queueSize(JSON.stringify(r));
  if (size > MAX_MESSAGE_BYTES) throw new RecordTooLargeError(r.event.transaction_id, size, MAX_MESSAGE_BYTES);
  return { record: r, size };
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
