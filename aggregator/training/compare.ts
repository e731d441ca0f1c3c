import { compileGbdt } from "../../core/ml/gbdt/compiled.js";
import type { GbdtModel } from "../../core/ml/gbdt/model.js";
import type { StoredFeatureRow, LabelVersion } from "./dataset.js";
import { joinPointInTime, toDataset } from "./dataset.js";
import { aucRoc, averagePrecision, cardPrecisionAtK, ratesAt } from "../../core/ml/gbdt/train/metrics.js";

// Two models on the same labelled events: the matured events of the range, labels as known at the
// cut-off (now), each model at its own thresholds. Pure: the caller reads the store and labels.

export interface Rates {
  threshold: number;
  recall: number;
  fpr: number;
  precision: number;
}

export interface ModelScorecard {
  version: string;
  auc_roc: number;
  average_precision: number;
  card_precision_at_100: number;
  review: Rates;
  block: Rates;
}

export interface Comparison {
  rows: number;
  positives: number;
  /** Rows of the range another feature layout than the models' (not scored). */
  other_layout: number;
  not_matured: number;
  a: ModelScorecard;
  b: ModelScorecard;
}

const r6 = (x: number) => Math.round(x * 1e6) / 1e6;

export function compareModels(
  a: GbdtModel,
  b: GbdtModel,
  rows: readonly StoredFeatureRow[],
  labels: readonly LabelVersion[],
  w: { fromMs: number; toMs: number; cutoffMs: number; labelDelayMs: number },
): Comparison {
  if (a.feature_layout !== b.feature_layout) throw new RangeError(`models use different feature layouts (${a.feature_layout}, ${b.feature_layout})`);
  const joined = joinPointInTime(rows, labels, { ...w, layout: a.feature_layout, featureNames: a.feature_names });
  const data = toDataset(joined.rows, a.feature_names);
  const card = (m: GbdtModel): ModelScorecard => {
    const c = compileGbdt(m);
    const scores = new Float64Array(data.rows);
    const x = new Float64Array(data.cols);
    for (let i = 0; i < data.rows; i++) {
      x.set(data.x.subarray(i * data.cols, (i + 1) * data.cols));
      scores[i] = c.score(x);
    }
    const at = (t: number): Rates => {
      const r = ratesAt(scores, data.y, t);
      return { threshold: t, recall: r6(r.recall), fpr: r6(r.fpr), precision: r6(r.precision) };
    };
    return {
      version: m.model_version,
      auc_roc: r6(aucRoc(scores, data.y)),
      average_precision: r6(averagePrecision(scores, data.y)),
      card_precision_at_100: r6(data.cardIds ? cardPrecisionAtK(scores, data.y, data.cardIds, 100) : 0),
      review: at(m.thresholds.review),
      block: at(m.thresholds.block),
    };
  };
  let positives = 0;
  for (let i = 0; i < data.rows; i++) positives += data.y[i]!;
  return { rows: data.rows, positives, other_layout: joined.counts.other_layout, not_matured: joined.counts.not_matured, a: card(a), b: card(b) };
}
