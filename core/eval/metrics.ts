// Detection-quality measures, pure. Scores are "higher = more suspicious". AUC, average precision
// and card precision top-k follow the definitions the Fraud Detection Handbook uses (sklearn's
// roc_auc_score and average_precision_score; its own card_precision_top_k, §4.2), so figures are
// comparable with the handbook's tables.

export interface Scored {
  score: number;
  isFraud: boolean;
  card: string | number;
}

/** A scored transaction with the (whole) day it belongs to, for the per-day card precision. */
export interface DailyScored extends Scored {
  day: number;
}

type Labelled = Pick<Scored, "score" | "isFraud">;

/** ROC AUC by the rank-sum (Mann–Whitney U) statistic, ties counted as half. NaN without both classes. */
export function rocAuc(items: readonly Labelled[]): number {
  const sorted = [...items].sort((a, b) => a.score - b.score);
  let pos = 0;
  let neg = 0;
  let rankSumPos = 0;
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j < sorted.length && sorted[j]!.score === sorted[i]!.score) j++;
    const avgRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) {
      if (sorted[k]!.isFraud) {
        pos++;
        rankSumPos += avgRank;
      } else neg++;
    }
    i = j;
  }
  if (pos === 0 || neg === 0) return Number.NaN;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * Average precision as sklearn computes it: Σ (Rₙ − Rₙ₋₁) Pₙ over the distinct score thresholds,
 * so tied scores enter together (a constant scorer gets the fraud prevalence, as in the handbook).
 */
export function averagePrecision(items: readonly Labelled[]): number {
  const sorted = [...items].sort((a, b) => b.score - a.score);
  let totalPos = 0;
  for (const s of sorted) if (s.isFraud) totalPos++;
  if (totalPos === 0) return Number.NaN;
  let tp = 0;
  let seen = 0;
  let prevRecall = 0;
  let ap = 0;
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j < sorted.length && sorted[j]!.score === sorted[i]!.score) {
      if (sorted[j]!.isFraud) tp++;
      j++;
    }
    seen = j;
    const recall = tp / totalPos;
    ap += (recall - prevRecall) * (tp / seen);
    prevRecall = recall;
    i = j;
  }
  return ap;
}

/** A card's view for top-k ranking: its highest score and whether any of its events was fraud. */
interface CardView {
  card: string | number;
  score: number;
  fraud: boolean;
}

function cardViews(items: readonly Scored[], skip?: ReadonlySet<string | number>): CardView[] {
  const cards = new Map<string | number, CardView>();
  for (const s of items) {
    if (skip?.has(s.card)) continue;
    const c = cards.get(s.card);
    if (!c) cards.set(s.card, { card: s.card, score: s.score, fraud: s.isFraud });
    else {
      c.score = Math.max(c.score, s.score);
      c.fraud ||= s.isFraud;
    }
  }
  return [...cards.values()];
}

function compareCards(a: string | number, b: string | number): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/**
 * Card precision@k over one pool (no days): rank cards by their highest score; the share of the
 * top k that had at least one fraud. Ties are broken pessimistically (legitimate cards first).
 * What the current `vigil eval` prints; for the handbook's per-day measure use cardPrecisionTopK.
 */
export function cardPrecisionAtK(items: readonly Scored[], k: number): number {
  const ranked = cardViews(items).sort((a, b) => b.score - a.score || Number(a.fraud) - Number(b.fraud));
  const top = ranked.slice(0, k);
  if (top.length === 0) return Number.NaN;
  return top.filter((c) => c.fraud).length / top.length;
}

export interface CardPrecisionTopK {
  /** Mean of the daily precisions: the handbook's CP@k. */
  mean: number;
  perDay: Array<{ day: number; precision: number; detected: number; compromisedCards: number }>;
}

/**
 * The handbook's card precision top-k (card_precision_top_k, §4.2): for each day in ascending
 * order, every card's highest score and whether it had a fraud that day; the k highest cards; the
 * precision is the number of them that had fraud divided by k (by k even on a day with fewer
 * cards, as the handbook does). Cards found compromised in an earlier day's top k are removed from
 * the later days (removeDetected, default true), as investigators would have blocked them. Ties
 * keep ascending card order (pandas' groupby order under a stable sort).
 */
export function cardPrecisionTopK(items: readonly DailyScored[], k: number, opts: { removeDetected?: boolean } = {}): CardPrecisionTopK {
  if (!(Number.isInteger(k) && k >= 1)) throw new RangeError(`k must be a positive integer, got ${k}`);
  const removeDetected = opts.removeDetected ?? true;
  const byDay = new Map<number, Scored[]>();
  for (const s of items) {
    const list = byDay.get(s.day);
    if (list) list.push(s);
    else byDay.set(s.day, [s]);
  }
  const detectedCards = new Set<string | number>();
  const perDay: CardPrecisionTopK["perDay"] = [];
  for (const day of [...byDay.keys()].sort((a, b) => a - b)) {
    const views = cardViews(byDay.get(day)!, detectedCards);
    const compromisedCards = views.filter((v) => v.fraud).length;
    views.sort((a, b) => b.score - a.score || compareCards(a.card, b.card));
    const detected = views.slice(0, k).filter((v) => v.fraud);
    perDay.push({ day, precision: detected.length / k, detected: detected.length, compromisedCards });
    if (removeDetected) for (const v of detected) detectedCards.add(v.card);
  }
  const mean = perDay.length === 0 ? Number.NaN : perDay.reduce((a, d) => a + d.precision, 0) / perDay.length;
  return { mean, perDay };
}

/**
 * Recall when the alert threshold is set so that at most `fpr` of legitimate events are flagged.
 * Legitimate events tied with the threshold count as flagged, so the bound holds.
 */
export function recallAtFpr(items: readonly Labelled[], fpr: number): { recall: number; threshold: number } {
  const legit = items.filter((s) => !s.isFraud).map((s) => s.score).sort((a, b) => b - a);
  const fraud = items.filter((s) => s.isFraud);
  if (legit.length === 0 || fraud.length === 0) return { recall: Number.NaN, threshold: Number.NaN };
  const allowed = Math.floor(fpr * legit.length);
  // Threshold strictly above the (allowed+1)-th highest legit score keeps flagged legit ≤ allowed.
  const threshold = legit[allowed] ?? Number.NEGATIVE_INFINITY;
  let caught = 0;
  for (const s of fraud) if (s.score > threshold) caught++;
  return { recall: caught / fraud.length, threshold };
}

export interface ThresholdMetrics {
  threshold: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  /** True positive rate (detection rate). */
  recall: number;
  falsePositiveRate: number;
  precision: number;
}

/** Confusion counts and rates when every score ≥ threshold is flagged (like verdict thresholds). */
export function thresholdMetrics(items: readonly Labelled[], thresholds: readonly number[]): ThresholdMetrics[] {
  return thresholds.map((threshold) => {
    let tp = 0;
    let fp = 0;
    let tn = 0;
    let fn = 0;
    for (const s of items) {
      const flagged = s.score >= threshold;
      if (s.isFraud && flagged) tp++;
      else if (s.isFraud) fn++;
      else if (flagged) fp++;
      else tn++;
    }
    return {
      threshold, tp, fp, tn, fn,
      recall: tp + fn === 0 ? Number.NaN : tp / (tp + fn),
      falsePositiveRate: fp + tn === 0 ? Number.NaN : fp / (fp + tn),
      precision: tp + fp === 0 ? Number.NaN : tp / (tp + fp),
    };
  });
}

/** Verdict-level rates the spec's load-test output reports. */
export function verdictRates(items: ReadonlyArray<{ isFraud: boolean; flagged: boolean }>): {
  detectionRate: number;
  falsePositiveRate: number;
} {
  let fraud = 0;
  let caught = 0;
  let legit = 0;
  let falsePos = 0;
  for (const i of items) {
    if (i.isFraud) {
      fraud++;
      if (i.flagged) caught++;
    } else {
      legit++;
      if (i.flagged) falsePos++;
    }
  }
  return {
    detectionRate: fraud === 0 ? Number.NaN : caught / fraud,
    falsePositiveRate: legit === 0 ? Number.NaN : falsePos / legit,
  };
}
