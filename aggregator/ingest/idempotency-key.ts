import type { ScoredEvent } from "../../core/schemas.js";

// The key every store deduplicates by, agreed with the edge: the forwarded envelope's optional
// `idempotency_key` (scoped by the caller, issue 13 item 5), else the transaction id. Read through
// a structural type so this compiles before and after that field lands in core/schemas.ts.

type MaybeKeyed = { idempotency_key?: unknown };

export function idempotencyKeyOf(record: ScoredEvent): string {
  const k = (record as ScoredEvent & MaybeKeyed).idempotency_key;
  return typeof k === "string" && k.length > 0 ? k : record.event.transaction_id;
}

/** For payloads derived from a record (raw transaction, feature row): their own key field, else the transaction id. */
export function idempotencyKeyOfPayload(payload: object, transactionId: string): string {
  const k = (payload as MaybeKeyed).idempotency_key;
  return typeof k === "string" && k.length > 0 ? k : transactionId;
}
