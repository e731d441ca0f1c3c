import { createRng, type Rng } from "../random.js";
import { GBDT_FORMAT, GBDT_FORMAT_VERSION, type GbdtModel, type GbdtTree } from "../ml/gbdt/model.js";

// Test support: random but valid GBDT models (no training involved), for checking inference,
// TreeSHAP and the schema in isolation.

export interface RandomModelOptions {
  trees: number;
  depth: number;
  features: number;
  /** Probability that a node above the depth limit becomes a leaf anyway (uneven trees). */
  earlyLeaf?: number;
}

function randomTree(rng: Rng, depth: number, d: number, earlyLeaf: number): GbdtTree {
  const tree: GbdtTree = { f: [], t: [], l: [], m: [], v: [], c: [] };
  const nodeDepth: number[] = [0];
  // Breadth first: children are appended as a pair after every node allocated so far.
  for (let i = 0; i < nodeDepth.length; i++) {
    const split = nodeDepth[i]! < depth && (i === 0 || !rng.chance(earlyLeaf));
    if (split) {
      const l = nodeDepth.length;
      nodeDepth.push(nodeDepth[i]! + 1, nodeDepth[i]! + 1);
      tree.f[i] = rng.int(d);
      tree.t[i] = Math.round(rng.normal(0, 1) * 1000) / 1000;
      tree.l[i] = l;
      tree.m[i] = rng.chance(0.5) ? 1 : 0;
      tree.v[i] = 0;
    } else {
      tree.f[i] = -1;
      tree.t[i] = 0;
      tree.l[i] = -1;
      tree.m[i] = 0;
      tree.v[i] = Math.round(rng.normal(0, 0.3) * 1e6) / 1e6;
    }
  }
  // Covers: random on leaves, sums upwards (children come after their parent).
  const n = tree.f.length;
  tree.c = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    const l = tree.l[i]!;
    tree.c[i] = l < 0 ? 1 + rng.int(100) : tree.c[l]! + tree.c[l + 1]!;
  }
  return tree;
}

export function randomGbdtModel(seed: number, o: RandomModelOptions): GbdtModel {
  const rng = createRng(seed);
  const names = Array.from({ length: o.features }, (_, i) => `x${i}`);
  const trees = Array.from({ length: o.trees }, () => randomTree(rng, o.depth, o.features, o.earlyLeaf ?? 0.2));
  return {
    format: GBDT_FORMAT,
    format_version: GBDT_FORMAT_VERSION,
    model_version: `random-${seed}`,
    feature_names: names,
    feature_layout: `test:${o.features}`,
    base_score: -2,
    params: {
      objective: "binary:logistic",
      learning_rate: 0.1,
      max_depth: o.depth,
      max_rounds: o.trees,
      lambda_l2: 1,
      min_child_hessian: 1,
      min_split_gain: 0,
      subsample: 1,
      colsample: 1,
      scale_pos_weight: 1,
      max_bins: 255,
      early_stopping: null,
      best_round: o.trees,
      rounds_grown: o.trees,
    },
    trained: {
      seed,
      rows: 1000,
      positives: 10,
      validation_rows: 100,
      validation_positives: 1,
      window: { from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z" },
      label_delay_days: 0,
      notes: "random test model",
    },
    validation: {
      auc_roc: 0.5,
      average_precision: 0.01,
      logloss: 0.1,
      review: { recall: 0, fpr: 0, precision: 0 },
      block: { recall: 0, fpr: 0, precision: 0 },
    },
    calibration: { method: "platt", a: 1, b: 0 },
    thresholds: { review: 50, block: 80, review_source: "config", block_source: "config" },
    trees,
  };
}

/** The obvious recursive walk, as a reference for the packed inference. */
export function naiveMargin(m: GbdtModel, x: ArrayLike<number>): number {
  let sum = m.base_score;
  for (const t of m.trees) {
    let i = 0;
    while (t.f[i]! >= 0) {
      const v = x[t.f[i]!]!;
      const goRight = Number.isNaN(v) ? t.m[i] === 1 : !(v < t.t[i]!);
      i = t.l[i]! + (goRight ? 1 : 0);
    }
    sum += t.v[i]!;
  }
  return sum;
}
