import { hash } from "node:crypto";
import { canonicalJson } from "../../core/contracts/canonical-json.js";
import type { ScoredEvent } from "../../core/schemas.js";

/**
 * What makes two forwarded copies "the same event": SHA-256 over the canonical validated event
 * (first 128 bits, hex). An edge retry, a redrive and a re-signed batch carry the same event and
 * so the same fingerprint; another payload under a reused idempotency key does not.
 */
export function eventFingerprintOf(record: ScoredEvent): string {
  return hash("sha256", canonicalJson(record.event), "hex").slice(0, 32);
}
