import { hash } from "node:crypto";
import { eventFingerprintWith } from "../../core/contracts/fingerprint.js";
import type { ScoredEvent } from "../../core/schemas.js";

/**
 * What makes two forwarded copies "the same event" (core/contracts/fingerprint.ts): an edge retry,
 * a redrive and a re-signed batch carry the same event and so the same fingerprint; another
 * payload under a reused idempotency key does not. The edge computed it once and carries it in the
 * envelope (its shape checked by the envelope's schema at the boundary); only an envelope without
 * one (from an edge older than the field) has it computed here, by core's definition, so the
 * ledger's stored fingerprints stay comparable across deploys.
 */
export function fingerprintsOf(records: readonly ScoredEvent[]): string[] {
  return records.map((r) => r.fingerprint ?? eventFingerprintWith(r.event, sha256));
}

const sha256 = (text: string): Uint8Array => hash("sha256", text, "buffer");
