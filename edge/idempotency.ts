import { canonicalJson } from "../core/contracts/canonical-json.js";
import type { TransactionEvent } from "../core/schemas.js";

// Idempotency at the edge: a request is "the same request" when the same caller sends the same
// transaction id. The key is (caller token id, transaction id) — or (merchant, transaction id)
// for a caller without an id — so two gateways that happen to reuse an id do not see each other's
// verdicts. A fingerprint of the canonical event goes with the key: a reused key with another
// payload is a conflict (409 IDEMPOTENCY_CONFLICT), not a duplicate.
// The key travels in the forwarded envelope (ScoredEvent.idempotency_key) so the aggregator
// dedupes by the same thing.

/**
 * `tok:<token id>/<transaction id>` or `mch:<merchant>/<transaction id>`. The caller part is
 * percent-encoded, so its first "/" always ends it: two different pairs never give one key.
 */
export function idempotencyKey(caller: { tokenId?: string | undefined; merchantId: string }, transactionId: string): string {
  return caller.tokenId !== undefined && caller.tokenId !== ""
    ? `tok:${encodeURIComponent(caller.tokenId)}/${transactionId}`
    : `mch:${encodeURIComponent(caller.merchantId)}/${transactionId}`;
}

export { canonicalJson };

const encoder = new TextEncoder();

/**
 * First 128 bits of SHA-256 over the canonical validated event, hex. The validated event (not
 * the raw body) is hashed, so whitespace, key order and spellings zod normalises do not count as a
 * different payload; any field value that reaches scoring does.
 */
export async function eventFingerprint(event: TransactionEvent): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(canonicalJson(event))));
  let out = "";
  for (let i = 0; i < 16; i++) out += (digest[i] as number).toString(16).padStart(2, "0");
  return out;
}
