import { hash } from "node:crypto";
import { z } from "zod";
import { alertOf } from "../../core/contracts/alert.js";
import { AlertSchema, CHANNELS, ModelFeaturesSchema, ScoredEventSchema, ShadowResultSchema, TimestampSchema, TransactionEventSchema, VERDICTS, type Alert, type ScoredEvent } from "../../core/schemas.js";
import type { Envelope, LogPosition } from "../ports/index.js";

// The message format on every topic: JSON with an explicit schema name and version instead of Avro
// and a schema registry (see infra/schemas/envelope.schema.json and its README). A consumer accepts
// only the (schema, version) pairs listed here; anything else goes to the dead-letter topic.

export const ENVELOPE_VERSION = 1 as const;

export const RawTransactionSchema = z.strictObject({
  event: TransactionEventSchema,
  region: z.string().min(1).max(32),
  received_at: TimestampSchema,
});

/** What the review queue needs to show a case without another lookup. */
export const ReviewItemSchema = z.strictObject({
  transaction_id: z.string(),
  card_number_hash: z.string(),
  fraud_score: z.number(),
  queued_at: TimestampSchema,
  record: ScoredEventSchema,
});
export type ReviewItem = z.infer<typeof ReviewItemSchema>;

/**
 * One row of the feature store (topic fraud-enriched-events, archive ml_features/feature_store/):
 * the model features as the edge computed them when it scored the event, with the keys training
 * joins on (transaction id, card, event time) and the decision given. Slim on purpose: this topic
 * carries every scored event at the spec's 64 partitions.
 */
export const FeatureRowSchema = z.strictObject({
  transaction_id: z.string().min(1).max(64),
  card_number_hash: z.string().min(1).max(128),
  merchant_id: z.string().min(1).max(128),
  terminal_id: z.string().min(1).max(128).optional(),
  channel: z.enum(CHANNELS),
  amount_usd: z.number(),
  timestamp_utc: TimestampSchema,
  model_features: ModelFeaturesSchema,
  fraud_score: z.number().min(0).max(100),
  verdict: z.enum(VERDICTS),
  model_version: z.string(),
  rules_version: z.string(),
  shadow: ShadowResultSchema.optional(),
  region: z.string().min(1).max(32),
  received_at: TimestampSchema,
});
export type FeatureRow = z.infer<typeof FeatureRowSchema>;

export const DeadLetterSchema = z.strictObject({
  error: z.string(),
  group_id: z.string(),
  failed_at: TimestampSchema,
  original: z.strictObject({
    topic: z.string(),
    partition: z.number().int(),
    offset: z.string(),
    key: z.string(),
    value: z.unknown(),
  }),
});
export type DeadLetter = z.infer<typeof DeadLetterSchema>;

export const PAYLOAD_SCHEMAS = {
  "vigil.raw-transaction": RawTransactionSchema,
  "vigil.scored-event": ScoredEventSchema,
  "vigil.alert": AlertSchema,
  "vigil.review-item": ReviewItemSchema,
  "vigil.feature-row": FeatureRowSchema,
  "vigil.dead-letter": DeadLetterSchema,
} as const;
export type SchemaName = keyof typeof PAYLOAD_SCHEMAS;
export type PayloadOf<S extends SchemaName> = z.infer<(typeof PAYLOAD_SCHEMAS)[S]>;

const EnvelopeHeaderSchema = z.object({
  schema: z.string(),
  schema_version: z.number(),
  produced_at: TimestampSchema,
  payload: z.unknown(),
  alert: z.unknown().optional(),
});

export function envelope<S extends SchemaName>(schema: S, payload: PayloadOf<S>, producedAt: string): Envelope<PayloadOf<S>> {
  return { schema, schema_version: ENVELOPE_VERSION, produced_at: producedAt, payload };
}

// The alert row travels with its verdict: ingest derives it once (core/contracts/alert.ts) and
// every sink that writes fraud_alerts rows reads it from the fraud-verdicts message, so the topic,
// the hot store and the archive hold the row that was published, not three derivations of it.

/** A fraud-verdicts message: the record and its alert row (`undefined` from alertOf: APPROVED, sent as null). */
export function verdictEnvelope(record: ScoredEvent, alert: Alert | undefined, producedAt: string): Envelope<ScoredEvent> {
  return { ...envelope("vigil.scored-event", record, producedAt), alert: alert ?? null };
}

/**
 * The alert row of a validated verdict message: the carried one; a message published before
 * ingest carried it has none, and only then is the row derived, here.
 */
export function alertOfVerdict(value: Envelope<ScoredEvent>): Alert | undefined {
  return value.alert === undefined ? alertOf(value.payload) : (value.alert ?? undefined);
}

const CarriedAlertSchema = AlertSchema.nullable();

/** A carried alert must be this record's row: same transaction and card, and a row exactly when the verdict is not APPROVED. */
function carriedAlertError(alert: Alert | null, record: ScoredEvent): string | undefined {
  if (alert === null) return record.verdict.verdict === "APPROVED" ? undefined : `null for a ${record.verdict.verdict} verdict`;
  if (record.verdict.verdict === "APPROVED") return "a row for an APPROVED verdict";
  if (alert.transaction_id !== record.event.transaction_id || alert.card_number_hash !== record.event.card_number_hash) return "another event's row";
  return undefined;
}

export type DecodeResult = { ok: true; value: Envelope } | { ok: false; error: string };

/**
 * Envelopes this process built in validateEnvelope (the payload is the schema's own output). The
 * consumer runner validates each message once and hands its sink these objects; the sink's own
 * check of them is then the schema list only, not a second full parse of the payload.
 */
const validated = new WeakSet<object>();

/**
 * Envelope texts this process serialised from payloads its own boundary had just validated
 * (ingest's fraud-verdicts messages: the record as IngestBatchSchema returned it, under the same
 * ScoredEventSchema the consumers check, and the alert row alertOf built from it). Kept as SHA-256 digests, the most recent
 * VALIDATED_TEXTS_KEPT (verdict texts only: nothing else is remembered or hashed). A consumer that
 * decodes byte-identical text (same digest) adopts it as validated instead of parsing the payload
 * again in each of the three sink groups; any other text — another process's, an older one,
 * anything altered — is validated in full as before.
 */
const VALIDATED_TEXTS_KEPT = 1 << 18;
const validatedTexts = new Set<string>();
const validatedOrder: string[] = [];
let validatedNext = 0;
const textDigest = (text: string) => hash("sha256", text, "base64");
/** How envelope() text of a verdict begins: other texts (raw, feature rows) are never remembered, so never hashed. */
const VERDICT_TEXT_PREFIX = '{"schema":"vigil.scored-event",';

/** Records `text` (JSON.stringify of an envelope whose payload passed its schema here) as validated. */
export function rememberValidatedText(text: string): void {
  if (!text.startsWith(VERDICT_TEXT_PREFIX)) return;
  const d = textDigest(text);
  if (validatedTexts.has(d)) return;
  const old = validatedOrder[validatedNext];
  if (old !== undefined) validatedTexts.delete(old);
  validatedOrder[validatedNext] = d;
  validatedNext = (validatedNext + 1) % VALIDATED_TEXTS_KEPT;
  validatedTexts.add(d);
}

/** The bus's decode: JSON, and marked validated when the text is one rememberValidatedText saw. */
export function decodeMessageText(text: string): Envelope {
  const value = decodeMessageValue(text);
  if (validatedTexts.size > 0 && text.startsWith(VERDICT_TEXT_PREFIX) && typeof value === "object" && value !== null && validatedTexts.has(textDigest(text))) validated.add(value);
  return value;
}

/** Checks the header, refuses unknown schema names and versions, then validates the payload. */
export function validateEnvelope(value: unknown, expected?: readonly SchemaName[]): DecodeResult {
  if (typeof value === "object" && value !== null && validated.has(value)) {
    const known = value as Envelope;
    if (expected && !expected.includes(known.schema as SchemaName)) return { ok: false, error: `UNEXPECTED_SCHEMA: ${known.schema}` };
    return { ok: true, value: known };
  }
  const head = EnvelopeHeaderSchema.safeParse(value);
  if (!head.success) {
    const i = head.error.issues[0];
    return { ok: false, error: `ENVELOPE_INVALID: ${i ? `${i.path.join(".") || "(envelope)"}: ${i.message}` : "not an envelope"}` };
  }
  const { schema, schema_version } = head.data;
  if (!(schema in PAYLOAD_SCHEMAS)) return { ok: false, error: `UNKNOWN_SCHEMA: ${schema}` };
  if (schema_version !== ENVELOPE_VERSION) return { ok: false, error: `UNKNOWN_SCHEMA_VERSION: ${schema} v${schema_version}` };
  const name = schema as SchemaName;
  if (expected && !expected.includes(name)) return { ok: false, error: `UNEXPECTED_SCHEMA: ${schema}` };
  const payload = PAYLOAD_SCHEMAS[name].safeParse(head.data.payload);
  if (!payload.success) {
    const i = payload.error.issues[0];
    return { ok: false, error: `PAYLOAD_INVALID: ${schema}: ${i ? `${i.path.join(".") || "(payload)"}: ${i.message}` : "invalid"}` };
  }
  const out: Envelope = { schema: name, schema_version: ENVELOPE_VERSION, produced_at: head.data.produced_at, payload: payload.data };
  // Only a verdict carries an alert; on any other schema the field is ignored, as unknown fields always were.
  if (name === "vigil.scored-event" && head.data.alert !== undefined) {
    const alert = CarriedAlertSchema.safeParse(head.data.alert);
    if (!alert.success) {
      const i = alert.error.issues[0];
      return { ok: false, error: `PAYLOAD_INVALID: ${schema}: ${["alert", ...(i?.path ?? [])].join(".")}: ${i?.message ?? "invalid"}` };
    }
    const wrong = carriedAlertError(alert.data, payload.data as ScoredEvent);
    if (wrong !== undefined) return { ok: false, error: `PAYLOAD_INVALID: ${schema}: alert: ${wrong}` };
    out.alert = alert.data;
  }
  validated.add(out);
  return { ok: true, value: out };
}

/**
 * The bus hands over whatever JSON it finds; bytes that are not JSON still reach the consumer as a
 * marker object (not a crash in the bus), so the consumer can dead-letter them with the raw text.
 */
export function decodeMessageValue(text: string): Envelope {
  try {
    return JSON.parse(text) as Envelope;
  } catch {
    return { schema: "unparseable", raw: text.slice(0, 10_000) } as unknown as Envelope;
  }
}

export function positionText(p: LogPosition): string {
  return `${p.topic}/${p.partition}@${p.offset}`;
}
