// Ranking metrics for validation, kept private to the trainer (core/eval has its own).

/** Area under the ROC curve by ranks (Mann–Whitney U), tied scores sharing their average rank. */
export function aucRoc(scores: ArrayLike<number>, y: Uint8Array): number {
  const n = y.length;
  const order = sortedOrder(scores, n, 1);
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (y[order[k]!] === 1) {
        pos++;
        rankSum += avgRank;
      }
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return 0.5;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * Average precision: Σ over score levels (highest first) of precision × recall gained at that
 * level (tied scores enter together, as in scikit-learn). 0 without positives.
 */
export function averagePrecision(scores: ArrayLike<number>, y: Uint8Array): number {
  const n = y.length;
  let totalPos = 0;
  for (let i = 0; i < n; i++) totalPos += y[i]!;
  if (totalPos === 0) return 0;
  const order = sortedOrder(scores, n, -1);
  let tp = 0;
  let ap = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    let gained = y[order[i]!]!;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) gained += y[order[++j]!]!;
    tp += gained;
    if (gained > 0) ap += (tp / (j + 1)) * (gained / totalPos);
    i = j + 1;
  }
  return ap;
}

/** Mean log-loss of margins (log-odds) with per-class weights; numerically safe for large |margin|. */
export function logLoss(margin: Float64Array, y: Uint8Array, posWeight = 1): number {
  let sum = 0;
  let wsum = 0;
  for (let i = 0; i < y.length; i++) {
    const m = margin[i]!;
    const w = y[i] === 1 ? posWeight : 1;
    // −log σ(m) = softplus(−m); −log(1 − σ(m)) = softplus(m).
    const z = y[i] === 1 ? -m : m;
    sum += w * (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)));
    wsum += w;
  }
  return sum / wsum;
}

/** Indices sorted by score (dir 1 ascending, −1 descending), ties by index: deterministic. */
export function sortedOrder(scores: ArrayLike<number>, n: number, dir: 1 | -1): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => dir * (scores[a]! - scores[b]!) || a - b);
  return order;
}

/** Recall, false-positive rate and precision of flagging score ≥ threshold. */
export function ratesAt(scores: ArrayLike<number>, y: Uint8Array, threshold: number): { recall: number; fpr: number; precision: number } {
  let tp = 0;
  let fp = 0;
  let pos = 0;
  for (let i = 0; i < y.length; i++) {
    pos += y[i]!;
    if (scores[i]! >= threshold) {
      if (y[i] === 1) tp++;
      else fp++;
    }
  }
  const neg = y.length - pos;
  return { recall: pos ? tp / pos : 0, fpr: neg ? fp / neg : 0, precision: tp + fp ? tp / (tp + fp) : 0 };
}

/** Share of fraud cards among the k cards with the highest score (each card's maximum). */
export function cardPrecisionAtK(scores: ArrayLike<number>, y: Uint8Array, cards: Uint32Array, k: number): number {
  const best = new Map<number, { score: number; fraud: boolean }>();
  for (let i = 0; i < y.length; i++) {
    const c = cards[i]!;
    const e = best.get(c);
    if (e === undefined) best.set(c, { score: scores[i]!, fraud: y[i] === 1 });
    else {
      if (scores[i]! > e.score) e.score = scores[i]!;
      if (y[i] === 1) e.fraud = true;
    }
  }
  const ranked = [...best.entries()].sort((a, b) => b[1].score - a[1].score || a[0] - b[0]).slice(0, k);
  return ranked.length ? ranked.filter(([, e]) => e.fraud).length / ranked.length : 0;
}
