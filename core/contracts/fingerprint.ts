import type { TransactionEvent } from "../schemas.js";
import { canonicalJson } from "./canonical-json.js";

// The pattern lives beside the envelope schema that validates a carried fingerprint (no cycle).
export { FINGERPRINT_PATTERN } from "../schemas.js";

// What makes two copies of an event "the same payload", for the edge and the aggregator alike:
// the first 128 bits of SHA-256 over the canonical validated event, hex. The validated event (not
// the raw body) is hashed, so whitespace, key order and spellings zod normalises do not count as a
// different payload; any field value that reaches scoring does. Computed once at the edge and
// carried in the scored envelope; the aggregator computes it only for envelopes that lack it.
// Web Crypto is the one SHA-256 both runtimes (workerd, Deno, Node ≥ 20) have without an import.

const encoder = new TextEncoder();

export async function eventFingerprint(event: TransactionEvent): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(canonicalJson(event))));
  let out = "";
  for (let i = 0; i < 16; i++) out += (digest[i] as number).toString(16).padStart(2, "0");
  return out;
}
