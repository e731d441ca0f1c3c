import { z } from "zod";
import { ListEntrySchema } from "../lists/lists.js";
import { AlertSchema, CardHashSchema, CHANNELS, ReasonSchema, VERDICTS } from "../../core/schemas.js";
import { ReferenceSnapshotSchema } from "../../core/contracts/reference.js";
import { MAX_FEEDBACK_BATCH } from "../risk/labels.js";
import { CaseEventSchema, CaseNoteSchema, CaseTransactionSchema, ReviewCaseSchema } from "../cases/review.js";

// Request and response shapes of the ops API (the spec's examples plus documented additions).
// Responses are described for OpenAPI; requests are validated with these same schemas.

export const CardParamsSchema = z.strictObject({ card_hash: CardHashSchema });

export const HistoryQuerySchema = z.strictObject({
  limit: z.coerce.number().int("an integer").min(1).max(100).default(20),
});

const isRealDate = (s: string) => {
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
};
export const SummaryQuerySchema = z.strictObject({
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "YYYY-MM-DD").refine(isRealDate, "not a calendar date"),
});

export const LabelSchema = z.object({ is_fraud: z.boolean(), source: z.string(), version: z.number().int(), labelled_at: z.string() });

export const FraudVerdictResponseSchema = z.object({
  transaction_id: z.string(),
  fraud_score: z.number(),
  verdict: z.enum(VERDICTS),
  confidence: z.number(),
  rule_triggers: z.array(z.string()),
  ml_score: z.number(),
  processing_latency_ms: z.number().describe("edge scoring time of this verdict"),
  timestamp_utc: z.string().describe("when the verdict was given: edge receipt + processing latency"),
  event_timestamp_utc: z.string(),
  reasons: z.array(ReasonSchema),
  versions: z.object({ model_version: z.string(), rules_version: z.string() }),
  channel: z.enum(CHANNELS),
  region: z.string(),
  processed_at: z.string(),
  label: LabelSchema.nullable().describe("the current ground-truth label, if any"),
});

export const FraudHistoryResponseSchema = z.object({
  card_hash: z.string(),
  total_alerts_90d: z.number().int(),
  risk_tier: z.enum(["LOW", "MEDIUM", "HIGH"]),
  fraud_history: z.array(AlertSchema),
});

const SummaryTotalsSchema = z.object({
  total_transactions: z.number().int(),
  flagged: z.number().int(),
  blocked: z.number().int(),
  false_positive_rate: z.number().describe("flagged transactions labelled LEGIT / flagged transactions labelled"),
  avg_fraud_score: z.number(),
  total_fraud_amount_usd: z.number(),
});
export const FraudSummaryResponseSchema = SummaryTotalsSchema.extend({
  date: z.string(),
  labelled_flagged: z.number().int(),
  by_merchant_category: z.array(SummaryTotalsSchema.extend({ merchant_category: z.string() })),
});

export const SinkHealthSchema = z.object({
  state: z.string().describe("idle | running | stalled (a dependency fails: nothing is committed until it is back)"),
  last_write_at: z.string().nullable(),
  errors: z.number().int(),
  stalled_since: z.string().optional(),
  last_error: z.string().optional(),
});
export const HealthResponseSchema = z.object({
  status: z.enum(["healthy", "degraded", "unhealthy"]),
  kafka_lag: z.number().int().describe("messages behind, summed over every consumer group"),
  kafka_lag_by_group: z.record(z.string(), z.number().int()),
  cassandra_latency_ms: z.number().nullable().describe("a timed cheap query on the hot store; null when it failed"),
  throughput_tps: z.number(),
  uptime_seconds: z.number().int(),
  sinks: z.record(z.string(), SinkHealthSchema),
  dependencies: z.record(z.string(), z.object({ ok: z.boolean(), latency_ms: z.number(), detail: z.string().optional() })),
  reasons: z.array(z.string()).describe("why the status is not healthy"),
});

export const CaseListResponseSchema = z.object({ cases: z.array(ReviewCaseSchema), next_cursor: z.string().nullable() });
export const CaseResponseSchema = z.object({ case: ReviewCaseSchema });
export { CaseEventSchema };
export const CaseDetailResponseSchema = z.object({
  case: ReviewCaseSchema,
  transactions: z.array(CaseTransactionSchema).describe("the card's flagged transactions in this case, oldest first"),
  notes: z.array(CaseNoteSchema),
  events: z.array(CaseEventSchema).describe("audit trail: claims, assignments, releases, notes, transactions joining, merges, the decision"),
});
export const NoteResponseSchema = z.object({ case: ReviewCaseSchema, note: CaseNoteSchema });
export const DecisionResponseSchema = z.object({
  case: ReviewCaseSchema,
  label_version: z.number().int().describe("the opening transaction's label version"),
  labels: z.array(z.object({ transaction_id: z.string(), outcome: z.enum(["CREATED", "UPDATED", "UNCHANGED"]), version: z.number().int() }))
    .describe("one ANALYST label per transaction of the case"),
  list_entry: ListEntrySchema.optional().describe("the entry add_to_list wrote"),
});

export const FeedbackResponseSchema = z.object({
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  results: z.array(z.object({ transaction_id: z.string(), outcome: z.enum(["CREATED", "UPDATED", "UNCHANGED"]), version: z.number().int() })),
  max_batch: z.literal(MAX_FEEDBACK_BATCH),
});

export const LabelHistoryResponseSchema = z.object({
  transaction_id: z.string(),
  labels: z.array(
    z.object({
      version: z.number().int(),
      is_fraud: z.boolean(),
      source: z.string(),
      actor: z.string(),
      note: z.string().nullable(),
      case_id: z.number().int().nullable(),
      previous_is_fraud: z.boolean().nullable(),
      previous_source: z.string().nullable(),
      labelled_at: z.string(),
      reported_on: z.string().nullable().describe("the date the source gave (YYYY-MM-DD)"),
    }),
  ),
});

export const RecomputeResponseSchema = z.object({
  recompute: z.object({
    window_start: z.string(),
    window_end: z.string(),
    prior: z.number(),
    merchants: z.number().int(),
    terminals: z.number().int(),
    cards: z.number().int(),
    summary_days: z.number().int(),
    pruned: z.number().int(),
  }),
  publish: z.object({ changes: z.number().int(), version: z.number().int(), targets: z.array(z.string()) }),
  finished_at: z.string(),
});

export { ReferenceSnapshotSchema };
