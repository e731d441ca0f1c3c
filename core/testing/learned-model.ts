import { MF, MODEL_FEATURE_LAYOUT, MODEL_FEATURE_NAMES } from "../features/model-features.js";
import { GBDT_FORMAT, GBDT_FORMAT_VERSION, type GbdtModel, type GbdtTree } from "../ml/gbdt/model.js";

// Test support: hand-built GBDT models on the mf1 layout, so engine tests do not depend on training.

/** One split on `feature` at `threshold`: below → `lo`, at or above → `hi` (covers 90 / 10). */
function stump(feature: string, threshold: number, lo: number, hi: number): GbdtTree {
  const f = MF[feature];
  if (f === undefined) throw new Error(`no model feature ${feature}`);
  return { f: [f, -1, -1], t: [threshold, 0, 0], l: [1, -1, -1], m: [0, 0, 0], v: [0, lo, hi], c: [100, 90, 10] };
}

/**
 * margin = −3 + (amount ≥ 500 ? 6 : −1) + (night ? 1 : 0) + (card_tx_count_30d < 1 ? 0.5 : −0.5),
 * calibration identity: a large night-time first purchase scores ≈ 99, a small daytime one ≈ 1.
 */
export function handModel(version = "gbdt-hand-1", thresholds = { review: 40, block: 90 }, shift = 0): GbdtModel {
  return {
    format: GBDT_FORMAT,
    format_version: GBDT_FORMAT_VERSION,
    model_version: version,
    feature_names: [...MODEL_FEATURE_NAMES],
    feature_layout: MODEL_FEATURE_LAYOUT,
    base_score: -3 + shift,
    params: {
      objective: "binary:logistic", learning_rate: 1, max_depth: 1, max_rounds: 3, lambda_l2: 0, min_child_hessian: 0,
      min_split_gain: 0, subsample: 1, colsample: 1, scale_pos_weight: 1, max_bins: 255, early_stopping: null, best_round: 3, rounds_grown: 3,
    },
    trained: { seed: 0, rows: 100, positives: 10, validation_rows: 100, validation_positives: 10, window: { from: "hand", to: "hand" }, label_delay_days: 7, notes: "hand-built test model" },
    validation: { auc_roc: 1, average_precision: 1, logloss: 0, review: { recall: 1, fpr: 0, precision: 1 }, block: { recall: 1, fpr: 0, precision: 1 } },
    calibration: { method: "platt", a: 1, b: 0 },
    thresholds: { ...thresholds, review_source: "validation", block_source: "validation" },
    trees: [stump("amount_usd", 500, -1, 6), stump("night_flag", 0.5, 0, 1), stump("card_tx_count_30d", 1, 0.5, -0.5)],
  };
}
