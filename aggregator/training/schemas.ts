import { z } from "zod";
import { GbdtThresholdsSchema, GbdtValidationSchema } from "../../core/ml/gbdt/model.js";
import { MODEL_STATUSES, MODEL_VERSION_PATTERN } from "./lifecycle.js";

// Request and response shapes of the model routes (/v1/models…), for validation and OpenAPI.

const instant = z.iso.datetime({ offset: true, message: "an ISO 8601 date-time with zone, e.g. 2026-06-01T00:00:00Z" });
const version = z.string().regex(MODEL_VERSION_PATTERN, "1-64 letters, digits and . _ - starting with a letter or digit");

export const TrainRequestSchema = z.strictObject({
  train_from: instant.optional().describe("event-time start; default train_to − MODEL_TRAIN_WINDOW_DAYS"),
  train_to: instant.optional().describe("event-time end; default now − MODEL_LABEL_DELAY_DAYS"),
});
export const ModelParamsSchema = z.strictObject({ version });
export const CompareQuerySchema = z
  .strictObject({ a: version, b: version, from: instant, to: instant })
  .refine((q) => Date.parse(q.from) < Date.parse(q.to), { message: "must be before to", path: ["from"] });

const CountsSchema = z.object({
  rows_read: z.number().int(),
  other_layout: z.number().int(),
  not_matured: z.number().int(),
  labels_after_cutoff: z.number().int(),
  train_rows: z.number().int(),
  train_positives: z.number().int(),
  valid_rows: z.number().int(),
  valid_positives: z.number().int(),
});

export const ModelSchema = z.object({
  version: z.string(),
  status: z.enum(MODEL_STATUSES),
  train_from: z.string(),
  train_to: z.string(),
  cutoff: z.string().describe("what the model knew: events with event time + label delay ≤ cutoff, labels recorded ≤ cutoff"),
  label_delay_days: z.number(),
  feature_layout: z.string().nullable(),
  artifact_key: z.string().nullable().describe("the model file in the archive: models/<version>.json"),
  sha256: z.string().nullable(),
  counts: CountsSchema.nullable(),
  validation: GbdtValidationSchema.nullable().describe("on the latest slice of the window: AUC ROC, AP, card precision@100, recall/FPR/precision at REVIEW and BLOCK"),
  thresholds: GbdtThresholdsSchema.nullable(),
  error: z.string().nullable(),
  created_by: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const ModelEventSchema = z.object({
  at: z.string(),
  actor: z.string(),
  action: z.enum(["TRAIN", "TRAINED", "FAIL", "SHADOW", "PROMOTE", "RETIRE", "UNSHADOW"]),
  from_status: z.enum(MODEL_STATUSES).nullable(),
  to_status: z.enum(MODEL_STATUSES),
  note: z.string().nullable(),
});

export const TrainAcceptedSchema = z.object({ version: z.string(), status: z.literal("training"), train_from: z.string(), train_to: z.string(), cutoff: z.string() });
export const ModelDetailSchema = ModelSchema.extend({ events: z.array(ModelEventSchema) });
export const ModelListSchema = z.object({ models: z.array(ModelSchema) });
export const ModelMoveSchema = z.object({
  model: ModelSchema,
  previous: z.string().nullable().describe("the version that held the slot before (now retired, or candidate for a shadow)"),
  changed: z.boolean().describe("false when it already held the slot: only published again"),
  published: z.array(z.string()).describe("reference targets the active versions were published to"),
});

const RatesSchema = z.object({ threshold: z.number(), recall: z.number(), fpr: z.number(), precision: z.number() });
const ScorecardSchema = z.object({
  version: z.string(),
  auc_roc: z.number(),
  average_precision: z.number(),
  card_precision_at_100: z.number(),
  review: RatesSchema,
  block: RatesSchema,
});
export const CompareResponseSchema = z.object({
  from: z.string(),
  to: z.string(),
  cutoff: z.string(),
  label_delay_days: z.number(),
  rows: z.number().int(),
  positives: z.number().int(),
  other_layout: z.number().int(),
  not_matured: z.number().int(),
  a: ScorecardSchema,
  b: ScorecardSchema,
});
