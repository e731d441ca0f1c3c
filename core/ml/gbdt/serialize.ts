import type { GbdtModel, GbdtTree } from "./model.js";

// Canonical JSON text of a model: keys in one fixed order whatever order the object was built
// or parsed in, so the same model always gives the same bytes (the registry can hash it and
// "same data + seed → same file" is testable with string equality). Floats are not rounded here:
// training stores rounded values (round9) so the file predicts exactly what the trainer measured.

function tree(t: GbdtTree): GbdtTree {
  return { f: t.f, t: t.t, l: t.l, m: t.m, v: t.v, c: t.c };
}

function opt<T>(key: string, value: T | undefined): Record<string, T> {
  return value === undefined ? {} : { [key]: value };
}

export function canonicalGbdt(m: GbdtModel): GbdtModel {
  const p = m.params;
  const tr = m.trained;
  const v = m.validation;
  return {
    format: m.format,
    format_version: m.format_version,
    model_version: m.model_version,
    feature_names: m.feature_names,
    feature_layout: m.feature_layout,
    base_score: m.base_score,
    params: {
      objective: p.objective,
      learning_rate: p.learning_rate,
      max_depth: p.max_depth,
      max_rounds: p.max_rounds,
      lambda_l2: p.lambda_l2,
      min_child_hessian: p.min_child_hessian,
      min_split_gain: p.min_split_gain,
      subsample: p.subsample,
      colsample: p.colsample,
      scale_pos_weight: p.scale_pos_weight,
      max_bins: p.max_bins,
      early_stopping: p.early_stopping === null ? null : { metric: p.early_stopping.metric, patience: p.early_stopping.patience },
      best_round: p.best_round,
      rounds_grown: p.rounds_grown,
    },
    trained: {
      seed: tr.seed,
      rows: tr.rows,
      positives: tr.positives,
      validation_rows: tr.validation_rows,
      validation_positives: tr.validation_positives,
      window: { from: tr.window.from, to: tr.window.to },
      label_delay_days: tr.label_delay_days,
      ...opt("command", tr.command),
      notes: tr.notes,
    },
    validation: {
      auc_roc: v.auc_roc,
      average_precision: v.average_precision,
      ...opt("card_precision_at_100", v.card_precision_at_100),
      logloss: v.logloss,
      review: { recall: v.review.recall, fpr: v.review.fpr, precision: v.review.precision },
      block: { recall: v.block.recall, fpr: v.block.fpr, precision: v.block.precision },
    },
    calibration: { method: m.calibration.method, a: m.calibration.a, b: m.calibration.b },
    thresholds: { review: m.thresholds.review, block: m.thresholds.block, review_source: m.thresholds.review_source, block_source: m.thresholds.block_source },
    trees: m.trees.map(tree),
  };
}

/** The model file's text: canonical key order, one tree per line (diffs stay readable). */
export function serializeGbdt(m: GbdtModel): string {
  const { trees, ...head } = canonicalGbdt(m);
  const top = JSON.stringify(head, null, 2);
  const lines = trees.map((t) => "    " + JSON.stringify(t));
  return `${top.slice(0, -2)},\n  "trees": [\n${lines.join(",\n")}\n  ]\n}\n`;
}
