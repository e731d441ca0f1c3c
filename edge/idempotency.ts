// Idempotency at the edge: a request is "the same request" when the same caller sends the same
// transaction id. The key is (caller token id, transaction id) — or (merchant, transaction id)
// for a caller without an id — so two gateways that happen to reuse an id do not see each other's
// verdicts. A fingerprint of the canonical event (core/contracts/fingerprint.ts) goes with the key:
// a reused key with another payload is a conflict (409 IDEMPOTENCY_CONFLICT), not a duplicate.
// Key and fingerprint travel in the forwarded envelope (ScoredEvent.idempotency_key, .fingerprint)
// so the aggregator dedupes by the same thing without hashing the event again.

/**
 * `tok:<token id>/<transaction id>` or `mch:<merchant>/<transaction id>`. The caller part is
 * percent-encoded, so its first "/" always ends it: two different pairs never give one key.
 */
export function idempotencyKey(caller: { tokenId?: string | undefined; merchantId: string }, transactionId: string): string {
  return caller.tokenId !== undefined && caller.tokenId !== ""
    ? `tok:${encodeURIComponent(caller.tokenId)}/${transactionId}`
    : `mch:${encodeURIComponent(caller.merchantId)}/${transactionId}`;
}
