import { z } from "zod";

// The serialized Isolation Forest. Versioned so an edge can refuse a file it cannot read.
//
// Tree layout (per tree, parallel arrays indexed by node, root = 0):
//   f[i]  feature index of the split, −1 for an external node (leaf)
//   t[i]  split value: x[f] <  t goes to the left child, x[f] ≥ t (and NaN) to the right; 0 on leaves
//   l[i]  index of the left child; the right child is always l[i] + 1; −1 on leaves
//   n[i]  number of training rows that reached the leaf (for the c(size) adjustment); 0 on splits
// Children are allocated after their parent, so l[i] > i and the structure cannot loop.

export const FOREST_FORMAT = "vigil.iforest";
export const FOREST_FORMAT_VERSION = 1;

const int = z.number().int();

export const TreeSchema = z
  .strictObject({
    f: z.array(int.min(-1)),
    t: z.array(z.number().finite()),
    l: z.array(int.min(-1)),
    n: z.array(int.min(0)),
  })
  .superRefine((tree, ctx) => {
    const len = tree.f.length;
    if (len === 0) ctx.addIssue({ code: "custom", message: "a tree needs at least one node" });
    if (tree.t.length !== len || tree.l.length !== len || tree.n.length !== len) {
      ctx.addIssue({ code: "custom", message: "f, t, l and n must have the same length" });
      return;
    }
    for (let i = 0; i < len; i++) {
      const f = tree.f[i] ?? -1;
      const l = tree.l[i] ?? -1;
      if (f < 0 ? l !== -1 : l <= i || l + 1 >= len) {
        ctx.addIssue({ code: "custom", path: ["l", i], message: "child index out of range or not after its parent" });
        return;
      }
    }
  });
export type Tree = z.infer<typeof TreeSchema>;

/** Quantiles of the model's own scores over its training rows, for calibrating ml_score. */
export const ScoreReferenceSchema = z.strictObject({
  rows: int.min(1),
  mean: z.number(),
  /** [quantile q in 0..1, score at q], ascending in both. */
  quantiles: z.array(z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)])).min(2),
});
export type ScoreReference = z.infer<typeof ScoreReferenceSchema>;

export const TrainedSchema = z.strictObject({
  seed: int,
  trees: int.min(1),
  /** Effective ψ: the requested subsample size, capped at the number of rows. */
  subsample_size: int.min(2),
  height_limit: int.min(1),
  /** Rows the trees were sampled from. */
  rows: int.min(1),
  /**
   * Per feature, where split values were drawn ("linear" or "signed_log"); informative only:
   * thresholds are stored in raw units and inference compares raw feature values.
   */
  split_space: z.array(z.enum(["linear", "signed_log"])).optional(),
  /** The command that produced the file, so anyone can reproduce it. */
  command: z.string().optional(),
  /** The data generator and its settings (name, version, seed, sizes…). */
  generator: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  /** Event-time range of the training data (not wall-clock time, so the file is reproducible). */
  generated_at_event_time: z.strictObject({ from: z.string(), to: z.string() }).optional(),
  notes: z.string(),
});
export type Trained = z.infer<typeof TrainedSchema>;

export const ForestModelSchema = z
  .strictObject({
    format: z.literal(FOREST_FORMAT),
    format_version: z.literal(FOREST_FORMAT_VERSION),
    model_version: z.string().min(1).max(64),
    feature_names: z.array(z.string().min(1)).min(1),
    trained: TrainedSchema,
    score_reference: ScoreReferenceSchema,
    trees: z.array(TreeSchema).min(1),
  })
  .superRefine((m, ctx) => {
    if (new Set(m.feature_names).size !== m.feature_names.length) {
      ctx.addIssue({ code: "custom", path: ["feature_names"], message: "duplicate feature name" });
    }
    const d = m.feature_names.length;
    m.trees.forEach((tree, ti) => {
      if (tree.f.some((f) => f >= d)) {
        ctx.addIssue({ code: "custom", path: ["trees", ti, "f"], message: `feature index ≥ ${d} feature names` });
      }
    });
    if (m.trees.length !== m.trained.trees) {
      ctx.addIssue({ code: "custom", path: ["trained", "trees"], message: "differs from the number of trees" });
    }
  });
export type ForestModel = z.infer<typeof ForestModelSchema>;

/** Euler–Mascheroni constant, for the paper's H(i) ≈ ln(i) + γ. */
export const EULER_GAMMA = 0.5772156649;

/**
 * c(n): average path length of an unsuccessful search in a binary search tree of n points,
 * the normaliser of Liu, Ting & Zhou (2008): c(n) = 2H(n−1) − 2(n−1)/n with H(i) ≈ ln(i) + γ.
 * As in the authors' 2012 TKDD version (and scikit-learn), c(2) = 1 and c(n ≤ 1) = 0: the
 * approximation of H is poor at n = 2 and would give 2γ − 1 ≈ 0.154 there.
 */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}
