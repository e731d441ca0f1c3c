import { z } from "zod";
import { containsCardNumber, findCardNumber, luhnValid } from "../../core/pan-guard.js";
import {
  ScoreRequestSchema,
  parseWith,
  toTransactionEvent,
  type FieldIssue,
  type TransactionEvent,
} from "../../core/schemas.js";
import type { EdgeConfig } from "../config.js";
import type { VigilError } from "../../core/contracts/errors.js";
import { edgeError, prefixIssues } from "../errors.js";

// Untrusted input → TransactionEvents, or a VigilError naming the field. Order: media type, size,
// JSON, raw card numbers anywhere, schema, event-time bounds. Nothing downstream runs on failure.

const JSON_MEDIA = /^application\/json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

export function requireJson(contentType: string | null | undefined): void {
  if (!contentType || !JSON_MEDIA.test(contentType.trim())) {
    throw edgeError("UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json (UTF-8)");
  }
}

/** Reads at most `limit` bytes: refuses early on Content-Length, and counts while streaming. */
// One decoder per isolate: decode() without {stream} starts afresh each call.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function decodeUtf8(bytes: Uint8Array | ArrayBuffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw edgeError("INVALID_JSON", "body is not valid UTF-8");
  }
}

export async function readBody(req: Request, limit: number): Promise<string> {
  const tooLarge = () => edgeError("PAYLOAD_TOO_LARGE", `request body larger than ${limit} bytes`);
  const declared = req.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > limit) throw tooLarge();
  if (req.body === null) return "";
  // A declared length within the limit bounds the body (HTTP framing reads exactly that many
  // bytes): read it in one call instead of chunk by chunk.
  if (declared !== null && /^\d+$/.test(declared)) {
    const buf = await req.arrayBuffer();
    if (buf.byteLength > limit) throw tooLarge();
    return decodeUtf8(buf);
  }
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    bytes.set(c, off);
    off += c.byteLength;
  }
  return decodeUtf8(bytes);
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw edgeError("INVALID_JSON", "body is not valid JSON");
  }
}

/** A JSON number that is a 13–19 digit integer passing Luhn: a card number sent unquoted. */
function findNumericCardNumber(value: unknown, path = "", depth = 0): string | undefined {
  if (depth > 32) return undefined;
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 1e12) return undefined;
    return luhnValid(String(value)) ? path || "(body)" : undefined;
  }
  if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      const hit = findNumericCardNumber(v, path ? `${path}.${k}` : k, depth + 1);
      if (hit !== undefined) return hit;
    }
  }
  return undefined;
}

/** A path names where the card number was; a key that is itself the number is masked (findCardNumber). */
function maskPath(path: string): string {
  return path
    .split(".")
    .map((seg) => (containsCardNumber(seg) ? "[card-number]" : seg))
    .join(".");
}

/** Refuses a raw card number anywhere (values, keys, nested, numbers) before any other check. */
export function refuseCardNumbers(body: unknown): void {
  const found = findCardNumber(body) ?? findNumericCardNumber(body);
  if (found !== undefined) {
    const path = maskPath(found);
    throw edgeError("CARD_NUMBER_REFUSED", `a raw card number was sent at ${path}; send card_number_hash only`, [
      { path, message: "looks like a raw card number (13–19 digits passing Luhn)" },
    ]);
  }
}

function timeIssues(event: TransactionEvent, receivedMs: number, config: EdgeConfig): FieldIssue[] {
  const t = Date.parse(event.timestamp_utc);
  if (t > receivedMs + config.MAX_FUTURE_SKEW_SECONDS * 1000) {
    return [{ path: "timestamp_utc", message: `more than ${config.MAX_FUTURE_SKEW_SECONDS} s after the edge received it` }];
  }
  if (t < receivedMs - config.MAX_EVENT_AGE_DAYS * 86_400_000) {
    return [{ path: "timestamp_utc", message: `older than ${config.MAX_EVENT_AGE_DAYS} days` }];
  }
  return [];
}

function toEvent(item: unknown, receivedMs: number, config: EdgeConfig): { event?: TransactionEvent; issues: FieldIssue[] } {
  const r = parseWith(ScoreRequestSchema, item);
  if (!r.ok) return { issues: r.issues };
  const event = toTransactionEvent(r.value, new Date(receivedMs).toISOString());
  const issues = timeIssues(event, receivedMs, config);
  return issues.length > 0 ? { issues } : { event, issues };
}

function validationFailed(issues: FieldIssue[]): VigilError {
  const first = issues[0];
  const summary = first ? `${first.path}: ${first.message}` : "invalid request";
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
  return edgeError("VALIDATION_FAILED", `${summary}${more}`, issues.slice(0, 50));
}

export function parseSingle(body: unknown, receivedMs: number, config: EdgeConfig): TransactionEvent {
  refuseCardNumbers(body);
  const { event, issues } = toEvent(body, receivedMs, config);
  if (!event) throw validationFailed(issues);
  return event;
}

const BatchEnvelopeSchema = z.strictObject({ transactions: z.array(z.unknown()) });

/** Validates the whole batch before anything is scored; every issue path starts "transactions.i". */
export function parseBatch(body: unknown, receivedMs: number, config: EdgeConfig): TransactionEvent[] {
  refuseCardNumbers(body);
  const env = BatchEnvelopeSchema.safeParse(body);
  if (!env.success) {
    throw validationFailed(env.error.issues.map((i) => ({ path: i.path.map(String).join(".") || "(body)", message: i.message })));
  }
  const items = env.data.transactions;
  if (items.length === 0) throw validationFailed([{ path: "transactions", message: "at least one transaction" }]);
  if (items.length > config.MAX_BATCH) {
    throw edgeError("BATCH_TOO_LARGE", `at most ${config.MAX_BATCH} transactions per batch, got ${items.length}`, [
      { path: "transactions", message: `at most ${config.MAX_BATCH} items` },
    ]);
  }
  const events: TransactionEvent[] = [];
  const issues: FieldIssue[] = [];
  items.forEach((item, i) => {
    const r = toEvent(item, receivedMs, config);
    if (r.event) events.push(r.event);
    else issues.push(...prefixIssues(`transactions.${i}`, r.issues));
  });
  if (issues.length > 0) throw validationFailed(issues);
  return events;
}
