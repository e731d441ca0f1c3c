// HMAC-SHA256 signatures for edge → aggregator batches. WebCrypto only, so the same code signs in
// Workers and Deno and verifies in Node. The signed string binds the timestamp to the exact body
// bytes, so neither can be swapped; the verifier bounds the clock skew to refuse stale replays.

export const SIGNATURE_HEADER = "x-vigil-signature";
export const TIMESTAMP_HEADER = "x-vigil-timestamp";
/** Signatures older or newer than this (seconds) are refused. */
export const DEFAULT_MAX_SKEW_SECONDS = 300;

const encoder = new TextEncoder();

async function hmacKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
}

function toHex(buf: ArrayBuffer): string {
  const bytes = new Uint8Array(buf);
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += (bytes[i] ?? 0).toString(16).padStart(2, "0");
  return out;
}

function fromHex(hex: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[0-9a-f]{64}$/.test(hex)) return undefined;
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

// Typed over ArrayBuffer (encode always makes a fresh one): Deno's TypeScript 6 WebCrypto types insist.
function signedPayload(timestampSeconds: number, body: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(`v1:${timestampSeconds}:${body}`) as Uint8Array<ArrayBuffer>;
}

/** Returns the headers to send with `body`; `nowSeconds` comes from the caller's clock. */
export async function signBody(
  secret: string,
  body: string,
  nowSeconds: number,
): Promise<Record<typeof SIGNATURE_HEADER | typeof TIMESTAMP_HEADER, string>> {
  const key = await hmacKey(secret);
  const mac = await crypto.subtle.sign("HMAC", key, signedPayload(nowSeconds, body));
  return { [SIGNATURE_HEADER]: `v1=${toHex(mac)}`, [TIMESTAMP_HEADER]: String(nowSeconds) };
}

export type VerifyResult =
  | { ok: true; timestampSeconds: number }
  | { ok: false; reason: "MISSING_SIGNATURE" | "MALFORMED_SIGNATURE" | "STALE_TIMESTAMP" | "BAD_SIGNATURE" };

/**
 * Checks a signature in constant time (crypto.subtle.verify). The caller rejects replays of a
 * still-fresh signature by remembering accepted signatures for the skew window.
 */
export async function verifyBody(
  secret: string,
  body: string,
  signatureHeader: string | null | undefined,
  timestampHeader: string | null | undefined,
  nowSeconds: number,
  maxSkewSeconds = DEFAULT_MAX_SKEW_SECONDS,
): Promise<VerifyResult> {
  if (!signatureHeader || !timestampHeader) return { ok: false, reason: "MISSING_SIGNATURE" };
  if (!/^\d{1,12}$/.test(timestampHeader) || !signatureHeader.startsWith("v1=")) {
    return { ok: false, reason: "MALFORMED_SIGNATURE" };
  }
  const mac = fromHex(signatureHeader.slice(3));
  if (!mac) return { ok: false, reason: "MALFORMED_SIGNATURE" };
  const ts = Number(timestampHeader);
  if (Math.abs(nowSeconds - ts) > maxSkewSeconds) return { ok: false, reason: "STALE_TIMESTAMP" };
  const key = await hmacKey(secret);
  const good = await crypto.subtle.verify("HMAC", key, mac, signedPayload(ts, body));
  return good ? { ok: true, timestampSeconds: ts } : { ok: false, reason: "BAD_SIGNATURE" };
}
