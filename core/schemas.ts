import { z } from "zod";
import { ListHitSchema } from "./contracts/lists.js";
import { ISO_4217 } from "./currencies.js";
import { findCardNumber } from "./pan-guard.js";

// Contracts shared by the edge, the Durable Object, the aggregator and the tools. Field names
// follow the platform spec's transaction event, feature schema and fraud_alerts table.

export const CHANNELS = ["IN_STORE", "ATM", "MOBILE", "ONLINE"] as const;
export const TRANSACTION_TYPES = [
  "PURCHASE",
  "WITHDRAWAL",
  "REFUND",
  "TRANSFER",
  "PAYMENT",
  "BALANCE_INQUIRY",
  "PREAUTH",
] as const;
export const VERDICTS = ["APPROVED", "REVIEW", "BLOCKED"] as const;
/** Where a card is at home (its issuer's region), as the terminal or gateway knows it; see edge/residency.ts. */
export const CARD_REGIONS = ["EU", "US", "APAC", "OTHER"] as const;

/** Largest single amount accepted; above it an input error is far likelier than a real payment. */
export const MAX_AMOUNT_USD = 1_000_000;
/** Event times outside these years are refused as corrupt clocks, not scored. */
const MIN_EVENT_MS = Date.UTC(2000, 0, 1);
const MAX_EVENT_MS = Date.UTC(2100, 0, 1);
/** MCC used when the short score request omits it, so summaries still group the event. */
export const UNKNOWN_MCC = "0000";

const id = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]*$/, "letters, digits and . _ : @ - only, starting with a letter or digit");

/** Card hashes are opaque: hex, base64/base64url or a prefixed token, never the card number. */
export const CardHashSchema = z
  .string()
  .min(6)
  .max(128)
  .regex(/^[A-Za-z0-9_=+/.:-]+$/, "hex, base64 or a token of letters, digits and _ = + / . : -");

/**
 * What a terminal sends as the card hash: a SHA-256 digest (the spec's "sha256_hashed_value"), as
 * 64 hex characters or 43 base64url characters (one "=" of padding allowed). Anything else may be
 * a PAN or its fragment in disguise ("411111…", a BIN plus last four), so the edge refuses it.
 * The bus and the stores keep the wider CardHashSchema: events already archived stay readable.
 */
export const CARD_HASH_INPUT = /^(?:[0-9a-fA-F]{64}|[A-Za-z0-9_-]{43}=?)$/;
export const CardHashInputSchema = z
  .string()
  .regex(CARD_HASH_INPUT, "a SHA-256 digest: 64 hex characters or 43 base64url characters");

export const TimestampSchema = z.iso
  .datetime({ offset: true, message: "ISO 8601 date-time with a zone (Z or ±hh:mm)" })
  .refine((s) => {
    const ms = Date.parse(s);
    return ms >= MIN_EVENT_MS && ms < MAX_EVENT_MS;
  }, "year must be between 2000 and 2099");

export const GeolocationSchema = z.strictObject({
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
});

const optionalText = (max: number) => z.string().min(1).max(max).nullish().transform((v) => v ?? undefined);

const eventFields = {
  transaction_id: id(64),
  merchant_id: id(64),
  merchant_category_code: z.string().regex(/^\d{4}$/, "four digits (ISO 18245)"),
  amount_usd: z.number().finite().nonnegative().max(MAX_AMOUNT_USD),
  currency: z.enum(ISO_4217, { message: "an ISO 4217 currency code" }),
  timestamp_utc: TimestampSchema,
  terminal_id: optionalText(64),
  device_fingerprint: optionalText(128),
  ip_address_hash: optionalText(128),
  geolocation: GeolocationSchema.nullish().transform((v) => v ?? undefined),
  transaction_type: z.enum(TRANSACTION_TYPES),
  channel: z.enum(CHANNELS),
  /** What the terminal reports about the physical card, when it knows; feeds card_present_mismatch. */
  card_present: z.boolean().optional(),
  /** First 6–8 digits of the PAN, allowed on its own (not a card number) so BIN block lists work. */
  card_bin: z.string().regex(/^\d{6,8}$/, "6 to 8 digits").optional(),
  /**
   * The card's home region, when the sender knows it. Not a scoring input: the edge uses it (with
   * the BIN table) to decide where the card's state lives (EU cards in the EU jurisdiction).
   */
  card_region: z.enum(CARD_REGIONS).optional(),
};

/** The full transaction event of the spec, as carried on the bus. */
export const TransactionEventSchema = z.strictObject({
  ...eventFields,
  card_number_hash: CardHashSchema,
});
export type TransactionEvent = z.infer<typeof TransactionEventSchema>;
export type Channel = (typeof CHANNELS)[number];
export type Verdict = (typeof VERDICTS)[number];

/**
 * The score request terminals send: the full event, or the spec's shorter example form where only
 * transaction_id, card hash, amount, merchant and channel are required. `card_hash` is an alias of
 * `card_number_hash`. Missing fields get documented defaults in `toTransactionEvent`.
 */
export const ScoreRequestSchema = z
  .strictObject({
    ...eventFields,
    card_number_hash: CardHashInputSchema.optional(),
    card_hash: CardHashInputSchema.optional(),
    merchant_category_code: eventFields.merchant_category_code.optional(),
    currency: eventFields.currency.optional(),
    timestamp_utc: TimestampSchema.optional(),
    transaction_type: eventFields.transaction_type.optional(),
  })
  .superRefine((r, ctx) => {
    if (r.card_hash === undefined && r.card_number_hash === undefined) {
      ctx.addIssue({ code: "custom", path: ["card_number_hash"], message: "required (or card_hash)" });
    } else if (r.card_hash !== undefined && r.card_number_hash !== undefined && r.card_hash !== r.card_number_hash) {
      ctx.addIssue({ code: "custom", path: ["card_hash"], message: "differs from card_number_hash" });
    }
  });
export type ScoreRequest = z.infer<typeof ScoreRequestSchema>;

/** Fills the short form's gaps: event time defaults to when the edge received the request. */
export function toTransactionEvent(r: ScoreRequest, receivedAtIso: string): TransactionEvent {
  const { card_hash, ...rest } = r;
  const cardHash = r.card_number_hash ?? card_hash;
  if (cardHash === undefined) throw new Error("card hash missing after validation");
  return {
    ...rest,
    card_number_hash: cardHash,
    merchant_category_code: r.merchant_category_code ?? UNKNOWN_MCC,
    currency: r.currency ?? "USD",
    timestamp_utc: r.timestamp_utc ?? receivedAtIso,
    transaction_type: r.transaction_type ?? "PURCHASE",
  };
}

/** One input problem, named by its JSON path, for 400 answers. */
export interface FieldIssue {
  path: string;
  message: string;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; issues: FieldIssue[] };

function issuePath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? "(body)" : path.map((p) => String(p)).join(".");
}

/**
 * Validates untrusted input: first the raw-card-number guard over every string at any depth (so a
 * PAN is refused even in a field the schema would reject for another reason), then the schema.
 */
export function parseWith<T>(schema: z.ZodType<T>, input: unknown): ParseResult<T> {
  const pan = findCardNumber(input);
  if (pan !== undefined) {
    return { ok: false, issues: [{ path: pan, message: "looks like a raw card number (13–19 digits passing Luhn); send card_number_hash only" }] };
  }
  const r = schema.safeParse(input);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, issues: r.error.issues.map((i) => ({ path: issuePath(i.path), message: i.message })) };
}

export const ReasonSchema = z.strictObject({
  code: z.string(),
  tier: z.enum(["RULE", "STAT", "ML", "SYSTEM"]),
  detail: z.string(),
  /** Points this reason added to fraud_score (0 for purely informative reasons). */
  contribution: z.number(),
});
export type Reason = z.infer<typeof ReasonSchema>;

/** What the scoring engine decides for one event. */
export const DecisionSchema = z.strictObject({
  transaction_id: z.string(),
  fraud_score: z.number().min(0).max(100),
  verdict: z.enum(VERDICTS),
  confidence: z.number().min(0).max(1),
  rule_triggers: z.array(z.string()),
  ml_score: z.number().min(0).max(1),
  reasons: z.array(ReasonSchema),
  model_version: z.string(),
  rules_version: z.string(),
});
export type Decision = z.infer<typeof DecisionSchema>;

/** The edge's answer to a terminal: the decision plus the time the edge spent on it. */
export const VerdictResponseSchema = DecisionSchema.extend({ latency_ms: z.number().nonnegative() });
export type VerdictResponse = z.infer<typeof VerdictResponseSchema>;

/**
 * The feature vector: every name of the spec's feature_schema (less the is_fraud target) plus the
 * 1- and 15-minute windows, geo-velocity, the amount and terminal risk. Flags are booleans here and
 * 0/1 in the numeric vector handed to the forest (order: FEATURE_NAMES).
 */
export const FeatureVectorSchema = z.strictObject({
  tx_count_1min: z.number(),
  tx_count_5min: z.number(),
  tx_count_15min: z.number(),
  tx_count_1hr: z.number(),
  spend_velocity_1min: z.number(),
  spend_velocity_5min: z.number(),
  spend_velocity_15min: z.number(),
  spend_velocity_1hr: z.number(),
  unique_merchants_1hr: z.number().int(),
  unique_countries_24hr: z.number().int(),
  time_since_last_txn: z.number(),
  avg_txn_amount_30d: z.number(),
  txn_amount_deviation: z.number(),
  amount_usd: z.number(),
  geo_velocity_kmh: z.number(),
  cross_country_flag: z.boolean(),
  new_device_flag: z.boolean(),
  card_present_mismatch: z.boolean(),
  merchant_risk_score: z.number(),
  ip_reputation_score: z.number(),
  terminal_risk_score: z.number(),
});
export type FeatureVector = z.infer<typeof FeatureVectorSchema>;
export type FeatureName = keyof FeatureVector;
export const FEATURE_NAMES = Object.keys(FeatureVectorSchema.shape) as FeatureName[];

/** A row of the spec's fraud_alerts table (REVIEW and BLOCKED verdicts). */
export const AlertSchema = z.strictObject({
  card_number_hash: CardHashSchema,
  transaction_id: z.string(),
  alert_timestamp: TimestampSchema,
  fraud_score: z.number().min(0).max(100),
  fraud_reason: z.string(),
  action_taken: z.enum(VERDICTS),
  rule_triggers: z.array(z.string()),
  ml_score: z.number().min(0).max(1),
});
export type Alert = z.infer<typeof AlertSchema>;

/**
 * Label-derived risk of one terminal or merchant, as the label job publishes it with the reference
 * data: over windows of 1, 7 and 30 days of event time ending `label delay` before the event (only
 * matured transactions, see core/features/entity-risk.ts), the transactions, the frauds among them
 * and the fraud rate smoothed toward a prior (so an entity with 2 transactions and 1 fraud does not
 * read as 50% risky). Learned models read them; rules do not.
 */
export const EntityRiskStatsSchema = z.strictObject({
  tx_1d: z.number().int().nonnegative(),
  fraud_1d: z.number().int().nonnegative(),
  rate_1d: z.number().min(0).max(1),
  tx_7d: z.number().int().nonnegative(),
  fraud_7d: z.number().int().nonnegative(),
  rate_7d: z.number().min(0).max(1),
  tx_30d: z.number().int().nonnegative(),
  fraud_30d: z.number().int().nonnegative(),
  rate_30d: z.number().min(0).max(1),
});
export type EntityRiskStats = z.infer<typeof EntityRiskStatsSchema>;

/**
 * Reference values the caller looked up (Redis at the edge, a snapshot elsewhere). The engine
 * never fetches them. Risk scores run 0 (clean) to 1 (known bad). `status` says whether the
 * lookup worked; the engine applies the channel's fail-open / fail-closed policy to it.
 */
export const ReferenceSignalsSchema = z.strictObject({
  status: z.enum(["OK", "UNAVAILABLE"]),
  merchant_risk_score: z.number().min(0).max(1).optional(),
  ip_reputation_score: z.number().min(0).max(1).optional(),
  terminal_risk_score: z.number().min(0).max(1).optional(),
  card_risk_tier: z.enum(["LOW", "MEDIUM", "HIGH"]).optional(),
  bin_blocked: z.boolean().optional(),
  ip_blocked: z.boolean().optional(),
  /** Matured-label risk of the event's terminal / merchant; absent = unknown (NaN model features). */
  terminal_stats: EntityRiskStatsSchema.optional(),
  merchant_stats: EntityRiskStatsSchema.optional(),
  /** Allow/block list entries matching this event (core/contracts/lists.ts); the engine drops those expired at event time. */
  list_hits: z.array(ListHitSchema).optional(),
});
export type ReferenceSignals = z.infer<typeof ReferenceSignalsSchema>;

/**
 * What the edge forwards per event to the aggregator (through the queue, then POST /v1/ingest):
 * a versioned envelope so a consumer can refuse a version it does not know. Version 1 is the
 * original shape, parsed exactly as before; version 2 adds what the learning loop needs.
 */
export const SCORED_EVENT_SCHEMA_VERSION = 1;
/** A card's residency zone (edge/residency.ts): where its state and its events may live. */
export const RESIDENCY_ZONES = ["default", "eu"] as const;
export type ResidencyZone = (typeof RESIDENCY_ZONES)[number];
/** The shape of an event fingerprint (core/contracts/fingerprint.ts): 32 lowercase hex digits. */
export const FINGERPRINT_PATTERN = /^[0-9a-f]{32}$/;
export const SCORED_EVENT_SCHEMA_VERSION_V2 = 2;
export const SCORED_EVENT_SCHEMA_VERSIONS = [SCORED_EVENT_SCHEMA_VERSION, SCORED_EVENT_SCHEMA_VERSION_V2] as const;
export const ScoredEventV1Schema = z.strictObject({
  schema_version: z.literal(SCORED_EVENT_SCHEMA_VERSION),
  event: TransactionEventSchema,
  verdict: VerdictResponseSchema,
  features: FeatureVectorSchema,
  region: z.string().min(1).max(32),
  received_at: TimestampSchema,
  /**
   * (caller, transaction id) as the edge deduplicated it (edge/idempotency.ts); consumers dedupe by
   * `idempotency_key ?? event.transaction_id`. Optional in every version: envelopes from edges
   * older than it parse as before (an aggregator must be deployed before edges that send it).
   */
  idempotency_key: z.string().min(1).max(256).optional(),
  /**
   * Facts the edge computed once and carries so nobody downstream computes them again: the card's
   * residency zone as the route decided it (the forwarder picks the aggregator by it) and the
   * event's fingerprint (the aggregator's idempotency ledger compares it). Optional like
   * idempotency_key: an envelope without them is still accepted and they are computed from it.
   */
  zone: z.enum(RESIDENCY_ZONES).optional(),
  fingerprint: z.string().regex(FINGERPRINT_PATTERN, "32 lowercase hex digits").optional(),
});
export type ScoredEventV1 = z.infer<typeof ScoredEventV1Schema>;

/**
 * The model feature vector exactly as the engine computed it at scoring time (point in time by
 * construction), so training never recomputes features from a later state. `layout` is the
 * vector's fingerprint (core/features/model-features.ts); a missing value is null, since JSON has
 * no NaN.
 */
export const ModelFeaturesSchema = z.strictObject({
  layout: z.string().min(1).max(64),
  values: z.array(z.number().finite().nullable()).min(1).max(1024),
});
export type ModelFeatures = z.infer<typeof ModelFeaturesSchema>;

/** What the shadow model would have decided (never the verdict given). */
export const ShadowResultSchema = z.strictObject({
  model_version: z.string().min(1).max(64),
  fraud_score: z.number().min(0).max(100),
  verdict: z.enum(VERDICTS),
});
export type ShadowResult = z.infer<typeof ShadowResultSchema>;

/** What the shadow rule set would have decided beside the active one (never the verdict given). */
export const ShadowRulesResultSchema = z.strictObject({
  rules_version: z.string().min(1).max(64),
  fraud_score: z.number().min(0).max(100),
  verdict: z.enum(VERDICTS),
  /** Ids of the shadow set's rules that fired. */
  hits: z.array(z.string().min(1).max(128)).max(512),
});
export type ShadowRulesResult = z.infer<typeof ShadowRulesResultSchema>;

export const ScoredEventV2Schema = ScoredEventV1Schema.extend({
  schema_version: z.literal(SCORED_EVENT_SCHEMA_VERSION_V2),
  model_features: ModelFeaturesSchema,
  shadow: ShadowResultSchema.optional(),
  shadow_rules: ShadowRulesResultSchema.optional(),
});
export type ScoredEventV2 = z.infer<typeof ScoredEventV2Schema>;

export const ScoredEventSchema = z.discriminatedUnion("schema_version", [ScoredEventV1Schema, ScoredEventV2Schema]);
export type ScoredEvent = z.infer<typeof ScoredEventSchema>;

export const IngestBatchSchema = z.strictObject({
  records: z.array(ScoredEventSchema).min(1).max(1000),
});
export type IngestBatch = z.infer<typeof IngestBatchSchema>;
