import { z } from "zod";
import { RuleSetSchema } from "../../core/rules/schema.js";

// Request and response shapes of the rule routes (/v1/rules…), for validation and OpenAPI.

/** A version names a Redis key and a URL segment: letters, digits and . _ - only. */
export const RULES_VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const version = z.string().regex(RULES_VERSION_PATTERN, "1-64 letters, digits and . _ - starting with a letter or digit");
const instant = z.iso.datetime({ offset: true, message: "an ISO 8601 date-time with zone, e.g. 2026-06-01T00:00:00Z" });

/** The core rule set format, with a version that can name a key and a path. */
export const RuleSetCreateSchema = RuleSetSchema.superRefine((rs, ctx) => {
  if (!RULES_VERSION_PATTERN.test(rs.version)) ctx.addIssue({ code: "custom", path: ["version"], message: "1-64 letters, digits and . _ - starting with a letter or digit" });
});
export const RulesParamsSchema = z.strictObject({ version });

/** [from, to): `from` before `to`, and at most `maxDays` long; checked only once both are instants. */
const range = (maxDays?: number) =>
  z.strictObject({ from: instant, to: instant }).superRefine((q, ctx) => {
    const from = Date.parse(q.from);
    const to = Date.parse(q.to);
    if (!Number.isFinite(from) || !Number.isFinite(to)) return;
    if (!(from < to)) ctx.addIssue({ code: "custom", path: ["from"], message: "must be before to" });
    else if (maxDays !== undefined && to - from > maxDays * 86_400_000) ctx.addIssue({ code: "custom", path: ["to"], message: `at most ${maxDays} days after from` });
  });
export const BacktestRequestSchema = range(31);
export const StatsQuerySchema = range();

const DiffSchema = z.object({ added: z.array(z.string()), removed: z.array(z.string()), changed: z.array(z.string()) });
const EventSchema = z.object({
  at: z.string(),
  actor: z.string(),
  action: z.enum(["CREATE", "ACTIVATE", "SHADOW", "UNSHADOW"]),
  previous_version: z.string().nullable(),
  diff: DiffSchema.nullable(),
});
export const RuleSetSummarySchema = z.object({
  version: z.string(),
  description: z.string().nullable(),
  rule_count: z.number().int(),
  sha256: z.string(),
  status: z.enum(["active", "shadow", "inactive"]),
  created_by: z.string(),
  created_at: z.string(),
});
export const RuleSetListSchema = z.object({ active_version: z.string().nullable(), shadow_version: z.string().nullable(), rule_sets: z.array(RuleSetSummarySchema) });
export const RuleSetDetailSchema = RuleSetSummarySchema.extend({ rule_set: RuleSetSchema, events: z.array(EventSchema) });
export const RuleSetCreatedSchema = RuleSetSummarySchema.extend({ created: z.boolean() });
export const RuleMoveSchema = z.object({
  version: z.string(),
  status: z.enum(["active", "shadow"]),
  previous_version: z.string().nullable(),
  diff: DiffSchema,
  published_to: z.array(z.string()),
});
export const ShadowStoppedSchema = z.object({ previous_version: z.string().nullable(), published_to: z.array(z.string()) });

const HitFiguresSchema = z.object({
  hits: z.number().int(),
  true_positives: z.number().int(),
  false_positives: z.number().int(),
  precision: z.number().nullable(),
  recall: z.number().nullable(),
});
const SetFiguresSchema = z.object({
  version: z.string(),
  overall: HitFiguresSchema,
  flagged: HitFiguresSchema,
  blocked: HitFiguresSchema,
  rules: z.array(HitFiguresSchema.extend({ rule_id: z.string() })),
});
export const BacktestResponseSchema = z.object({
  from: z.string(),
  to: z.string(),
  events: z.number().int(),
  labelled: z.number().int(),
  frauds: z.number().int(),
  skipped: z.number().int(),
  files: z.number().int(),
  model_version: z.string(),
  candidate: SetFiguresSchema,
  active: SetFiguresSchema,
});

const LiveFiguresSchema = z.object({
  evaluated: z.number().int(),
  hits: z.number().int(),
  flagged: z.number().int(),
  /** Of the hits, those with a label yet, and of those the frauds. */
  labelled_hits: z.number().int(),
  fraud_hits: z.number().int(),
  precision: z.number().nullable(),
  rules: z.array(z.object({ rule_id: z.string(), hits: z.number().int(), decided: z.number().int(), labelled: z.number().int(), frauds: z.number().int(), precision: z.number().nullable() })),
});
export const StatsResponseSchema = z.object({
  version: z.string(),
  from: z.string(),
  to: z.string(),
  /** Where the version's live evaluations came from: shadow, active, or both over the range. */
  roles: z.array(z.enum(["active", "shadow"])),
  version_figures: LiveFiguresSchema,
  /** The active set on the same transactions (its versions listed). */
  active_figures: LiveFiguresSchema.extend({ versions: z.array(z.string()) }),
  verdicts_changed: z.object({ flagged_only_by_version: z.number().int(), flagged_only_by_active: z.number().int() }),
});
