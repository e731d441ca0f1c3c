import type { TransactionEvent } from "../schemas.js";
import { canonicalJson } from "./canonical-json.js";

// The pattern lives beside the envelope schema that validates a carried fingerprint (no cycle).
export { FINGERPRINT_PATTERN } from "../schemas.js";

// What makes two copies of an event "the same payload", for the edge and the aggregator alike:
// the first 128 bits of SHA-256 over the canonical validated event, hex. The validated event (not
// the raw body) is hashed, so whitespace, key order and spellings zod normalises do not count as a
// different payload; any field value that reaches scoring does. Computed once at the edge and
// carried in the scored envelope; the aggregator computes it only for envelopes that lack it.
// The definition (canonical text in, first 128 bits of its SHA-256 out) is this file's; the SHA-256
// is the runtime's: Web Crypto at the edge (native in workerd and Deno), a synchronous native hash
// where the caller has one (Node's `crypto.hash` in the aggregator: Web Crypto's digest there costs
// ~150 µs per call against ~12 µs).

const encoder = new TextEncoder();

/** The fingerprint of an event whose canonical text `sha256` digests synchronously. */
export function eventFingerprintWith(event: TransactionEvent, sha256: (text: string) => Uint8Array): string {
  return fingerprintOfDigest(sha256(canonicalJson(event)));
}

/** The fingerprint with Web Crypto's SHA-256 (every runtime has it without an import). */
export async function eventFingerprint(event: TransactionEvent): Promise<string> {
  return fingerprintOfDigest(new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(canonicalJson(event)))));
}

function fingerprintOfDigest(digest: Uint8Array): string {
  let out = "";
  for (let i = 0; i < 16; i++) out += (digest[i] as number).toString(16).padStart(2, "0");
  return out;
}
