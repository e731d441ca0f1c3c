// Detection-quality measures for labelled streams. Scores are "higher = more suspicious".

export interface Scored {
  score: number;
  isFraud: boolean;
  card: string;
}

/** ROC AUC by the rank-sum (Mann–Whitney U) statistic, ties counted as half. */
export function rocAuc(items: readonly Scored[]): number {
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

/** Average precision: mean of precision at each fraud's rank (ties broken pessimistically). */
export function averagePrecision(items: readonly Scored[]): number {
  const sorted = [...items].sort((a, b) => b.score - a.score || Number(a.isFraud) - Number(b.isFraud));
  const totalPos = sorted.filter((s) => s.isFraud).length;
  if (totalPos === 0) return Number.NaN;
  let tp = 0;
  let sum = 0;
  sorted.forEach((s, i) => {
    if (s.isFraud) {
      tp++;
      sum += tp / (i + 1);
    }
  });
  return sum / totalPos;
}

/**
 * Card precision@k (Dal Pozzolo et al.): rank cards by their highest score; the share of the top k
 * cards that had at least one fraud. What an analyst team with k investigations a day would see.
 */
export function cardPrecisionAtK(items: readonly Scored[], k: number): number {
  const cards = new Map<string, { score: number; fraud: boolean }>();
  for (const s of items) {
    const c = cards.get(s.card);
    if (!c) cards.set(s.card, { score: s.score, fraud: s.isFraud });
    else {
      c.score = Math.max(c.score, s.score);
      c.fraud ||= s.isFraud;
    }
  }
  const ranked = [...cards.values()].sort((a, b) => b.score - a.score || Number(a.fraud) - Number(b.fraud));
  const top = ranked.slice(0, k);
  if (top.length === 0) return Number.NaN;
  return top.filter((c) => c.fraud).length / top.length;
}

/**
 * Recall when the alert threshold is set so that at most `fpr` of legitimate events are flagged.
 * Legitimate events tied with the threshold count as flagged, so the bound holds.
 */
export function recallAtFpr(items: readonly Scored[], fpr: number): { recall: number; threshold: number } {
  const legit = items.filter((s) => !s.isFraud).map((s) => s.score).sort((a, b) => b - a);
  const fraud = items.filter((s) => s.isFraud);
  if (legit.length === 0 || fraud.length === 0) return { recall: Number.NaN, threshold: Number.NaN };
  const allowed = Math.floor(fpr * legit.length);
  // Threshold strictly above the (allowed+1)-th highest legit score keeps flagged legit ≤ allowed.
  const threshold = legit[allowed] ?? Number.NEGATIVE_INFINITY;
  const caught = fraud.filter((s) => s.score > threshold).length;
  return { recall: caught / fraud.length, threshold };
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
