import { round9, type GbdtThresholds } from "../model.js";
import { sortedOrder } from "./metrics.js";

// REVIEW and BLOCK thresholds in fraud_score points (100 · calibrated probability), picked on the
// validation set: for each, the lowest threshold (the most recall) at which the flagged rows
// still reach the precision target, with at least minTruePositives frauds among them. When the
// validation set cannot support a target, the caller's configured value is used instead.

export interface ThresholdOptions {
  /** Precision the REVIEW queue must reach (analyst time: many false positives are tolerable). */
  reviewPrecision: number;
  /** Precision BLOCK must reach (declined customers: few false positives). */
  blockPrecision: number;
  /** Fewer frauds flagged than this and the estimate is too noisy to trust. */
  minTruePositives: number;
  fallback: { review: number; block: number };
}

export const DEFAULT_THRESHOLD_OPTIONS: ThresholdOptions = {
  reviewPrecision: 0.3,
  blockPrecision: 0.8,
  minTruePositives: 10,
  fallback: { review: 50, block: 80 },
};

/** Lowest threshold meeting the precision target, or null. */
export function thresholdFor(scores: ArrayLike<number>, y: Uint8Array, precision: number, minTruePositives: number): number | null {
  const n = y.length;
  const order = sortedOrder(scores, n, -1);
  let tp = 0;
  let best: number | null = null;
  for (let i = 0; i < n; ) {
    let j = i;
    tp += y[order[i]!]!;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) tp += y[order[++j]!]!;
    const s = scores[order[i]!]!;
    if (tp >= minTruePositives && tp / (j + 1) >= precision) {
      // Halfway to the next lower score: flags this level and nothing below it.
      const below = j + 1 < n ? scores[order[j + 1]!]! : 0;
      const t = round9(below + (s - below) / 2);
      best = t > below && t <= s ? t : s;
    }
    i = j + 1;
  }
  return best;
}

export function pickThresholds(scores: ArrayLike<number>, y: Uint8Array, o: ThresholdOptions = DEFAULT_THRESHOLD_OPTIONS): GbdtThresholds {
  const review = thresholdFor(scores, y, o.reviewPrecision, o.minTruePositives);
  const block = thresholdFor(scores, y, o.blockPrecision, o.minTruePositives);
  const r = review ?? o.fallback.review;
  // BLOCK is never below REVIEW: a blocked transaction is at least a reviewable one.
  const b = Math.max(block ?? o.fallback.block, r);
  return { review: r, block: b, review_source: review === null ? "config" : "validation", block_source: block === null ? "config" : "validation" };
}
