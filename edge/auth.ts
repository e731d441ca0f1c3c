import type { Channel } from "../core/schemas.js";
import type { EdgeToken } from "./config.js";
import { edgeError } from "./errors.js";

// Bearer tokens are configured as SHA-256 hashes. The presented token is hashed and compared with
// every configured hash in constant time, without stopping at the first match, so response time
// says nothing about which (or whether a) hash matched.

const encoder = new TextEncoder();
const BEARER = /^Bearer ([\x21-\x7e]{1,512})$/;

export const WWW_AUTHENTICATE = 'Bearer realm="vigil-edge"';

export async function sha256Hex(s: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(s)));
  let out = "";
  for (const b of digest) out += b.toString(16).padStart(2, "0");
  return out;
}

/**
 * Digests of tokens that matched a configured hash, per isolate: a caller's token is hashed once,
 * not on every request. Only matching tokens are kept (unknown ones cannot fill it), and at most
 * DIGEST_CACHE_MAX of them (cleared when full). The comparison with every configured hash still
 * runs per request, so a token removed from the configuration stops matching at once.
 */
const DIGEST_CACHE_MAX = 256;
const digests = new Map<string, string>();

/** Constant-time equality of two equal-length lower-case hex strings (length is public: always 64). */
export function constantTimeEqualHex(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return diff === 0;
}

/** The configured token matching the Authorization header; throws 401 otherwise. */
export async function authenticate<T extends { sha256: string } = EdgeToken>(
  header: string | null | undefined,
  tokens: readonly T[],
  equal: (a: string, b: string) => boolean = constantTimeEqualHex,
): Promise<T> {
  const m = header ? BEARER.exec(header.trim()) : null;
  const raw = m?.[1];
  // Hash something even when the header is missing or malformed, so every 401 costs the same.
  const cached = raw !== undefined ? digests.get(raw) : undefined;
  const presented = cached ?? (await sha256Hex(raw ?? ""));
  let match: T | undefined;
  for (const t of tokens) {
    const eq = equal(presented, t.sha256);
    if (eq && match === undefined && m) match = t;
  }
  if (match && raw !== undefined && cached === undefined) {
    if (digests.size >= DIGEST_CACHE_MAX) digests.clear();
    digests.set(raw, presented);
  }
  if (!match) {
    throw edgeError(
      "UNAUTHORIZED",
      m ? "unknown bearer token" : "missing or malformed Authorization: Bearer <token>",
      undefined,
      { "WWW-Authenticate": WWW_AUTHENTICATE },
    );
  }
  return match;
}

/** Throws 403 naming the first item whose channel the token may not score. */
export function authorizeChannels(token: EdgeToken, items: ReadonlyArray<{ path: string; channel: Channel }>): void {
  const allowed = new Set<Channel>(token.channels);
  const refused = items.filter((i) => !allowed.has(i.channel));
  if (refused.length > 0) {
    throw edgeError(
      "FORBIDDEN_CHANNEL",
      `token "${token.id}" may not score channel ${refused[0]?.channel ?? ""}`,
      refused.map((i) => ({ path: i.path, message: `channel ${i.channel} not allowed for this token` })),
    );
  }
}
