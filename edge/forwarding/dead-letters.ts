import { z } from "zod";
import { ScoredEventSchema, type ScoredEvent } from "../../core/schemas.js";
import type { DeadLetterStore, Forwarder, ParkInput } from "../../core/contracts/forwarding.js";
import type { Logger } from "../../core/contracts/logger.js";

// The dead-letter queue's consumer and the redrive (issue 13, item 2). Nothing in a DLQ is
// stranded: the DLQ's one consumer parks every message in a store the edge owns (on Workers the
// region's DeadLetterBox Durable Object; durable-objects/dead-letter-box.ts), acking only after the
// store committed it. Operators list the parked letters and redrive them (ops endpoint
// /v1/ops/dead-letters, `npm run vigil -- dlq list|redrive`): a letter's record goes back on the
// scored-events queue and leaves the store only once the queue accepted it.

/** Our consumer's DeadLetter (only the fields the box needs to index it). */
const OwnLetterSchema = z.looseObject({
  record: z.unknown(),
  reason: z.string(),
  message_id: z.string(),
});

/** One DLQ message as a letter: our consumer's DeadLetter as it is; anything else (the platform's own dead-lettering after max_retries) wrapped. */
export function letterOf(m: { id: string; body: unknown; attempts: number; timestamp: Date }, queue: string): ParkInput {
  const own = OwnLetterSchema.safeParse(m.body);
  const letter = own.success
    ? m.body
    : { record: m.body, reason: "PLATFORM_MAX_RETRIES", error: { code: "PLATFORM_MAX_RETRIES", detail: "dead-lettered by the queue after max_retries" }, message_id: m.id, attempts: m.attempts, queue, dead_lettered_at: m.timestamp.toISOString() };
  const record = own.success ? own.data.record : m.body;
  const txId = (record as { event?: { transaction_id?: unknown } } | null)?.event?.transaction_id;
  return {
    // A letter is the original message's: the same message dead-lettered twice is parked once.
    id: own.success ? own.data.message_id : m.id,
    reason: own.success ? own.data.reason : "PLATFORM_MAX_RETRIES",
    transaction_id: typeof txId === "string" ? txId.slice(0, 128) : null,
    letter,
  };
}

/** The DLQ consumer: park the whole delivery, then ack; if the store fails, retry it (never dropped). */
export async function parkDeadLetterBatch(batch: MessageBatch<unknown>, store: DeadLetterStore, log: Logger): Promise<{ parked: number; received: number }> {
  const letters = batch.messages.map((m) => letterOf(m, batch.queue));
  try {
    const parked = await store.park(letters);
    batch.ackAll();
    log.warn("DEAD_LETTERS_PARKED", { queue: batch.queue, received: letters.length, parked, ids: letters.slice(0, 20).map((l) => l.id).join(",") });
    return { parked, received: letters.length };
  } catch (err) {
    // Growing delays (1 min doubling to 1 h): with max_retries = 100 the store may be down ~4 days.
    const attempts = Math.max(1, ...batch.messages.map((m) => m.attempts));
    batch.retryAll({ delaySeconds: Math.min(3600, 60 * 2 ** Math.min(attempts - 1, 6)) });
    log.error("DEAD_LETTERS_PARK_FAILED", { queue: batch.queue, received: letters.length, error: err instanceof Error ? err.message.slice(0, 200) : "unknown" });
    return { parked: 0, received: letters.length };
  }
}

export interface RedriveResult {
  redriven: string[];
  /** Letters left parked, with why (a record that is not a valid ScoredEvent can never be sent). */
  skipped: { id: string; reason: string }[];
  /** Letters still parked after this redrive. */
  remaining: number;
}

/**
 * Sends parked letters' records back to the scored-events queue and removes exactly those the
 * queue accepted. The aggregator deduplicates by idempotency key, so a redrive after a partial
 * success is safe.
 */
export async function redrive(store: DeadLetterStore, queue: Forwarder, opts: { ids?: string[]; limit?: number }): Promise<RedriveResult> {
  const { letters } = await store.list(opts);
  const skipped: RedriveResult["skipped"] = [];
  const ready: { id: string; record: ScoredEvent }[] = [];
  for (const l of letters) {
    const r = ScoredEventSchema.safeParse((l.letter as { record?: unknown } | null)?.record);
    if (r.success) ready.push({ id: l.id, record: r.data });
    else skipped.push({ id: l.id, reason: `not a valid ScoredEvent (${r.error.issues[0]?.path.map(String).join(".") ?? ""}: ${r.error.issues[0]?.message ?? ""})`.slice(0, 200) });
  }
  const redriven: string[] = [];
  // In slices, so one failed send leaves only its own slice parked.
  for (let i = 0; i < ready.length; i += 100) {
    const slice = ready.slice(i, i + 100);
    try {
      await queue.forward(slice.map((s) => s.record));
    } catch (err) {
      for (const s of slice) skipped.push({ id: s.id, reason: `queue send failed: ${err instanceof Error ? err.message.slice(0, 120) : "unknown"}` });
      continue;
    }
    await store.remove(slice.map((s) => s.id));
    redriven.push(...slice.map((s) => s.id));
  }
  const { total } = await store.list({ limit: 1 });
  return { redriven, skipped, remaining: total };
}
