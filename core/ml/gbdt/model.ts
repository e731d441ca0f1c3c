import { z } from "zod";

// The serialized gradient-boosted tree model: the supervised model of the learning loop.
// Versioned like the Isolation Forest file so an edge can refuse a file it cannot read.
//
// Tree layout (per tree, parallel arrays indexed by node, root = 0):
//   f[i]  feature index of the split, −1 on a leaf
//   t[i]  threshold: x[f] < t goes to the left child, x[f] ≥ t to the right; 0 on leaves
//   l[i]  index of the left child; the right child is always l[i] + 1; −1 on leaves
//   m[i]  where a missing value (NaN) goes: 0 = left, 1 = right (learned per split); 0 on leaves
//   v[i]  leaf value (log-odds, learning rate already applied); 0 on splits
//   c[i]  cover: the sum of training hessians that reached the node (TreeSHAP's weights)
// Children are allocated after their parent and referenced once, so the structure is a tree.
// The margin of a row is base_score + Σ trees v[leaf]; probability goes through `calibration`.

export const GBDT_FORMAT = "vigil.gbdt";
export const GBDT_FORMAT_VERSION = 1;

const int = z.number().int();
const finite = z.number().finite();

export const GbdtTreeSchema = z
  .strictObject({
    f: z.array(int.min(-1)),
    t: z.array(finite),
    l: z.array(int.min(-1)),
    m: z.array(z.union([z.literal(0), z.literal(1)])),
    v: z.array(finite),
    c: z.array(finite.min(0)),
  })
  .superRefine((tree, ctx) => {
    const len = tree.f.length;
    if (len === 0) {
      ctx.addIssue({ code: "custom", path: ["f"], message: "a tree needs at least one node" });
      return;
    }
    for (const key of ["t", "l", "m", "v", "c"] as const) {
      if (tree[key].length !== len) {
        ctx.addIssue({ code: "custom", path: [key], message: `length ${tree[key].length} differs from f (${len})` });
        return;
      }
    }
    // Every node but the root must be the child of exactly one earlier node: no loops, no sharing.
    const parents = new Uint8Array(len);
    for (let i = 0; i < len; i++) {
      const f = tree.f[i]!;
      const l = tree.l[i]!;
      if (f < 0) {
        if (l !== -1) ctx.addIssue({ code: "custom", path: ["l", i], message: "a leaf (f = −1) must have l = −1" });
        continue;
      }
      if (l <= i || l + 1 >= len) {
        ctx.addIssue({ code: "custom", path: ["l", i], message: `child index ${l} out of range or not after its parent` });
        return;
      }
      parents[l]!++;
      parents[l + 1]!++;
    }
    for (let i = 1; i < len; i++) {
      if (parents[i] !== 1) {
        ctx.addIssue({ code: "custom", path: ["l"], message: `node ${i} has ${parents[i]} parents (expected 1)` });
        return;
      }
    }
  });
export type GbdtTree = z.infer<typeof GbdtTreeSchema>;

export const GbdtParamsSchema = z.strictObject({
  objective: z.literal("binary:logistic"),
  learning_rate: finite.positive(),
  max_depth: int.min(1).max(16),
  max_rounds: int.min(1),
  lambda_l2: finite.min(0),
  min_child_hessian: finite.min(0),
  min_split_gain: finite.min(0),
  subsample: finite.gt(0).max(1),
  colsample: finite.gt(0).max(1),
  scale_pos_weight: finite.positive(),
  max_bins: int.min(2).max(255),
  early_stopping: z.strictObject({ metric: z.enum(["logloss", "auc"]), patience: int.min(1) }).nullable(),
  /** Rounds kept: the best validation round when early stopping, otherwise max_rounds. */
  best_round: int.min(1),
  /** Rounds actually grown before stopping. */
  rounds_grown: int.min(1),
});
export type GbdtParams = z.infer<typeof GbdtParamsSchema>;

export const GbdtTrainedSchema = z.strictObject({
  seed: int,
  rows: int.min(1),
  positives: int.min(0),
  validation_rows: int.min(1),
  validation_positives: int.min(0),
  /** Event-time range of the training data, as given by the caller (not wall-clock time). */
  window: z.strictObject({ from: z.string(), to: z.string() }),
  /** How long labels were left to mature before the cut-off. */
  label_delay_days: finite.min(0),
  command: z.string().optional(),
  notes: z.string(),
});
export type GbdtTrained = z.infer<typeof GbdtTrainedSchema>;

const rate = finite.min(0).max(1);

export const GbdtValidationSchema = z.strictObject({
  auc_roc: rate,
  average_precision: rate,
  /** Share of the 100 highest-scored cards that had fraud (only when card ids were given). */
  card_precision_at_100: rate.optional(),
  logloss: finite.min(0),
  review: z.strictObject({ recall: rate, fpr: rate, precision: rate }),
  block: z.strictObject({ recall: rate, fpr: rate, precision: rate }),
});
export type GbdtValidation = z.infer<typeof GbdtValidationSchema>;

/** Platt scaling: probability = 1 / (1 + exp(−(a · margin + b))), fitted on validation. */
export const GbdtCalibrationSchema = z.strictObject({
  method: z.literal("platt"),
  a: finite,
  b: finite,
});
export type GbdtCalibration = z.infer<typeof GbdtCalibrationSchema>;

/** fraud_score points 0–100 (score = 100 · calibrated probability). */
export const GbdtThresholdsSchema = z
  .strictObject({
    review: finite.min(0).max(100),
    block: finite.min(0).max(100),
    /** Where each came from: "validation" = picked for a precision target, "config" = the fallback. */
    review_source: z.enum(["validation", "config"]),
    block_source: z.enum(["validation", "config"]),
  })
  .refine((t) => t.block >= t.review, { message: "block must be ≥ review", path: ["block"] });
export type GbdtThresholds = z.infer<typeof GbdtThresholdsSchema>;

export const GbdtModelSchema = z
  .strictObject({
    format: z.literal(GBDT_FORMAT),
    format_version: z.literal(GBDT_FORMAT_VERSION),
    model_version: z.string().min(1).max(64),
    feature_names: z.array(z.string().min(1)).min(1),
    /** Fingerprint of the feature vector layout the model was trained on; the caller checks it. */
    feature_layout: z.string().min(1),
    /** Initial margin (log-odds) before the first tree. */
    base_score: finite,
    params: GbdtParamsSchema,
    trained: GbdtTrainedSchema,
    validation: GbdtValidationSchema,
    calibration: GbdtCalibrationSchema,
    thresholds: GbdtThresholdsSchema,
    trees: z.array(GbdtTreeSchema).min(1),
  })
  .superRefine((m, ctx) => {
    if (new Set(m.feature_names).size !== m.feature_names.length) {
      ctx.addIssue({ code: "custom", path: ["feature_names"], message: "duplicate feature name" });
    }
    const d = m.feature_names.length;
    m.trees.forEach((tree, ti) => {
      const bad = tree.f.findIndex((f) => f >= d);
      if (bad >= 0) ctx.addIssue({ code: "custom", path: ["trees", ti, "f", bad], message: `feature index ≥ ${d} feature names` });
      // Inference sizes its buffers from the depth: a tree deeper than declared is refused.
      const depth = new Int32Array(tree.f.length);
      for (let i = 0; i < tree.f.length; i++) {
        const l = tree.l[i]!;
        if (l < 0 || l + 1 >= tree.f.length) continue;
        depth[l] = depth[l + 1] = depth[i]! + 1;
        if (depth[l]! > m.params.max_depth) {
          ctx.addIssue({ code: "custom", path: ["trees", ti, "l", i], message: `deeper than params.max_depth (${m.params.max_depth})` });
          return;
        }
      }
    });
  });
export type GbdtModel = z.infer<typeof GbdtModelSchema>;

/**
 * A float written with 9 significant digits, so the JSON text is short and stable. Training rounds
 * every stored value with it as soon as it is computed, so the file predicts exactly what the
 * trainer saw.
 */
export function round9(x: number): number {
  return x === 0 ? 0 : Number(x.toPrecision(9));
}
