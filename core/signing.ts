// HMAC-SHA256 signatures for edge → aggregator batches. WebCrypto only, so the same code signs in
// Workers and Deno and verifies in Node. The signed string binds the timestamp to the exact body
// bytes, so neither can be swapped; the verifier bounds the clock skew to refuse stale replays.

export const SIGNATURE_HEADER = "x-vigil-signature";
export const TIMESTAMP_HEADER = "x-vigil-timestamp";
/**
 * Names the key that signed (rotation: the verifier holds the old and the new key for a while and
 * picks by id). Not part of the signed string: a wrong id only makes verification fail.
 */
export const KEY_ID_HEADER = "x-vigil-key-id";
/** Key ids: short names such as "k2" or "2026-12". */
export const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,32}$/;
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
  keyId?: string,
): Promise<Record<string, string>> {
  const key = await hmacKey(secret);
  const mac = await crypto.subtle.sign("HMAC", key, signedPayload(nowSeconds, body));
  return {
    [SIGNATURE_HEADER]: `v1=${toHex(mac)}`,
    [TIMESTAMP_HEADER]: String(nowSeconds),
    ...(keyId !== undefined ? { [KEY_ID_HEADER]: keyId } : {}),
  };
}

/** One verification key of a rotation; after `notAfterSeconds` (epoch s) it is refused. */
export interface SigningKey {
  id: string;
  secret: string;
  notAfterSeconds?: number;
}

export type KeyedVerifyResult =
  | { ok: true; timestampSeconds: number; keyId: string }
  | { ok: false; reason: VerifyFailure | "UNKNOWN_KEY" | "RETIRED_KEY" };

/**
 * Verifies against a key ring. With a key id header, only that key is tried (unknown or past its
 * not-after date: refused). Without one (an edge from before key ids), every current key is
 * tried, so a rotation never needs the edges and the aggregator to change at the same instant.
 */
export async function verifyBodyWithKeys(
  keys: readonly SigningKey[],
  body: string,
  signatureHeader: string | null | undefined,
  timestampHeader: string | null | undefined,
  keyIdHeader: string | null | undefined,
  nowSeconds: number,
  maxSkewSeconds = DEFAULT_MAX_SKEW_SECONDS,
): Promise<KeyedVerifyResult> {
  const current = (k: SigningKey) => k.notAfterSeconds === undefined || nowSeconds <= k.notAfterSeconds;
  let candidates: readonly SigningKey[];
  if (keyIdHeader) {
    const named = keys.find((k) => k.id === keyIdHeader);
    if (!named) return { ok: false, reason: "UNKNOWN_KEY" };
    if (!current(named)) return { ok: false, reason: "RETIRED_KEY" };
    candidates = [named];
  } else {
    candidates = keys.filter(current);
  }
  let last: VerifyResult = { ok: false, reason: "BAD_SIGNATURE" };
  for (const k of candidates) {
    last = await verifyBody(k.secret, body, signatureHeader, timestampHeader, nowSeconds, maxSkewSeconds);
    if (last.ok) return { ok: true, timestampSeconds: last.timestampSeconds, keyId: k.id };
    // Malformed, missing or stale: the same answer under every key.
    if (last.reason !== "BAD_SIGNATURE") return last;
  }
  return last.ok ? { ok: false, reason: "BAD_SIGNATURE" } : last;
}

export type VerifyFailure = "MISSING_SIGNATURE" | "MALFORMED_SIGNATURE" | "STALE_TIMESTAMP" | "BAD_SIGNATURE";
export type VerifyResult = { ok: true; timestampSeconds: number } | { ok: false; reason: VerifyFailure };

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
