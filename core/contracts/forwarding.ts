import type { ScoredEvent } from "../schemas.js";

// The forwarding contracts the edge runtimes and the dead-letter box share: the queue port scored
// events are handed to, and a parked dead letter as the box stores it (durable-objects/
// dead-letter-box.ts on Workers, edge/deno/kv-dead-letters.ts on Deno). Here, below all of them,
// so the box takes them from core and edge/ root files never import edge/forwarding/ for a type.

/**
 * Hands scored events to a queue (Cloudflare Queue / Deno KV queue); at-least-once. Rejects on
 * failure. Not an app dependency: scored events leave through the card-state owner's outbox; the
 * DLQ redrive uses it.
 */
export interface Forwarder {
  forward(records: ScoredEvent[]): Promise<void>;
}

/** A dead letter as the store keeps it. */
export interface ParkedLetter {
  id: string;
  parked_at: string;
  reason: string;
  transaction_id: string | null;
  /** The DeadLetter the forwarding consumer wrote (edge/forwarding/consumer.ts), or a wrapper of a platform dead letter. */
  letter: unknown;
}

export interface ParkInput {
  id: string;
  reason: string;
  transaction_id: string | null;
  letter: unknown;
}

/** The port over the store (Workers: DeadLetterBox; Deno: the zone's KV). */
export interface DeadLetterStore {
  /** Idempotent by id: a redelivered DLQ message is parked once. Answers how many were new. */
  park(letters: ParkInput[]): Promise<number>;
  /** Oldest first: the first `limit`, or the letters named by `ids`. */
  list(opts: { limit?: number; ids?: string[] }): Promise<{ total: number; letters: ParkedLetter[] }>;
  remove(ids: string[]): Promise<number>;
}
