import { z } from "zod";
import { CHANNELS } from "./schemas.js";
import { METRICS } from "./stats/baseline.js";

const unit = z.number().min(0).max(1);
const Prior = z.strictObject({
  /** Population mean and standard deviation of the metric (counts raw, money log1p(USD)). */
  mean: z.number().finite(),
  sd: z.number().positive(),
  /** Smallest spread used for a card (a card that always pays the same is not infinitely sure). */
  sd_floor: z.number().positive(),
  iqr_floor: z.number().positive(),
});

/**
 * Engine configuration, parsed once at the boundary. Final score (0–100):
 *   F = 100 · (1 − (1 − w_rules·R/100)(1 − w_stats·S/100)(1 − w_ml·M/100))
 * a weighted noisy-OR of the tier scores R, S, M (each 0–100): a tier at 100 with weight 1
 * decides alone; weights below 1 cap what a tier can add by itself.
 */
export const ScoringConfigSchema = z
  .strictObject({
    version: z.string().min(1).max(64),
    thresholds: z.strictObject({ block: z.number().min(0).max(100), review: z.number().min(0).max(100) }),
    weights: z.strictObject({ rules: unit, stats: unit, ml: unit }),
    /**
     * ML tier: forest score → percentile p among the model's training (normal) scores → tier score
     * M = 100 · clamp(ln((1 − floor) / (1 − p)) / ln((1 − floor) / (1 − full))): 0 up to the floor,
     * then growing with the rarity of the score (each tenfold rarer adds the same points), 100
     * from `percentile_full`. Continuous, so low scores still rank. Feature drivers (explain) are
     * computed only when M ≥ explain_min_points, where the forest matters to the verdict.
     */
    ml: z.strictObject({
      percentile_floor: unit,
      percentile_full: z.number().min(0).max(1),
      explain_top: z.number().int().min(0).max(21),
      explain_min_points: z.number().min(0).max(100),
    }),
    stats: z.strictObject({
      /** Shrinkage toward the priors: card weight n / (n + prior_strength). */
      prior_strength: z.number().min(0),
      /** IQR fences need at least this many observations of the card. */
      min_iqr_history: z.number().int().min(4).max(32),
      z_threshold: z.number().positive(),
      z_full: z.number().positive(),
      iqr_threshold: z.number().positive(),
      iqr_full: z.number().positive(),
      priors: z.strictObject(Object.fromEntries(METRICS.map((m) => [m, Prior])) as Record<(typeof METRICS)[number], typeof Prior>),
    }),
    /**
     * REVIEW/BLOCK thresholds for a learned champion (fraud_score = 100 · calibrated probability).
     * Absent: each model file's own thresholds (picked on its validation slice) apply.
     */
    learned_thresholds: z.strictObject({ review: z.number().min(0).max(100), block: z.number().min(0).max(100) }).optional(),
    /** What to do when the reference lookup failed (refs.status UNAVAILABLE), per channel. */
    reference_failure_policy: z.strictObject(
      Object.fromEntries(CHANNELS.map((c) => [c, z.enum(["FAIL_OPEN", "FAIL_CLOSED"])])) as Record<
        (typeof CHANNELS)[number],
        z.ZodEnum<{ FAIL_OPEN: "FAIL_OPEN"; FAIL_CLOSED: "FAIL_CLOSED" }>
      >,
    ),
  })
  .superRefine((c, ctx) => {
    if (!(c.thresholds.review < c.thresholds.block)) ctx.addIssue({ code: "custom", path: ["thresholds", "review"], message: "must be below thresholds.block" });
    if (!(c.ml.percentile_floor < c.ml.percentile_full && c.ml.percentile_full < 1)) ctx.addIssue({ code: "custom", path: ["ml", "percentile_floor"], message: "must be below ml.percentile_full, itself below 1" });
    if (c.learned_thresholds && !(c.learned_thresholds.review <= c.learned_thresholds.block)) ctx.addIssue({ code: "custom", path: ["learned_thresholds", "review"], message: "must not be above learned_thresholds.block" });
    if (!(c.stats.z_threshold < c.stats.z_full)) ctx.addIssue({ code: "custom", path: ["stats", "z_threshold"], message: "must be below stats.z_full" });
    if (!(c.stats.iqr_threshold < c.stats.iqr_full)) ctx.addIssue({ code: "custom", path: ["stats", "iqr_threshold"], message: "must be below stats.iqr_full" });
  });
export type ScoringConfig = z.infer<typeof ScoringConfigSchema>;

/** Parses a config, throwing an Error whose message lists every problem with its path. */
export function parseScoringConfig(input: unknown): ScoringConfig {
  const r = ScoringConfigSchema.safeParse(input);
  if (r.success) return r.data;
  throw new Error(`invalid scoring config: ${r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`);
}
