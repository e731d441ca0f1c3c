import { round9, type GbdtCalibration, type GbdtThresholds, type GbdtValidation } from "../model.js";
import { plattProbability } from "./calibrate.js";
import type { GbdtDataset } from "./data.js";
import { aucRoc, averagePrecision, cardPrecisionAtK, ratesAt } from "./metrics.js";

// The model file's `validation` block, measured on fraud_score points (100 · calibrated
// probability). Calibration and thresholds are fitted on the same validation slice, so these
// figures are slightly optimistic; a backtest on a later slice is the unbiased check.

export function validationMetrics(
  margin: Float64Array,
  valid: GbdtDataset,
  calibration: GbdtCalibration,
  thresholdsOf: (scores: Float64Array) => GbdtThresholds,
): { validation: GbdtValidation; thresholds: GbdtThresholds } {
  const scores = new Float64Array(valid.rows);
  let ll = 0;
  for (let i = 0; i < valid.rows; i++) {
    const p = plattProbability(calibration, margin[i]!);
    scores[i] = 100 * p;
    const q = valid.y[i] === 1 ? p : 1 - p;
    ll -= Math.log(Math.max(q, 1e-15));
  }
  const thresholds = thresholdsOf(scores);
  const r9 = (r: { recall: number; fpr: number; precision: number }) => ({ recall: round9(r.recall), fpr: round9(r.fpr), precision: round9(r.precision) });
  const validation: GbdtValidation = {
    auc_roc: round9(aucRoc(scores, valid.y)),
    average_precision: round9(averagePrecision(scores, valid.y)),
    ...(valid.cardIds ? { card_precision_at_100: round9(cardPrecisionAtK(scores, valid.y, valid.cardIds, 100)) } : {}),
    logloss: round9(ll / valid.rows),
    review: r9(ratesAt(scores, valid.y, thresholds.review)),
    block: r9(ratesAt(scores, valid.y, thresholds.block)),
  };
  return { validation, thresholds };
}
