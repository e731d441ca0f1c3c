/**
 * Per-card baseline of the tier-2 statistics: for each metric, an exponentially weighted mean and
 * variance (Welford for the first 64 observations, then a fixed 1/64 weight so old habits fade) and
 * the last BASELINE_WINDOW observations, kept both in arrival order (ring) and sorted, so the
 * quartiles are two array reads. Bounded: 7 metrics × (3 + 2·32) doubles ≈ 3.8 kB per card.
 *
 * Metrics are the card's 1/5/15-minute counts and spend and the amount, observed at each of its
 * events (including that event). Money is taken as log1p(USD): amounts are heavy-tailed, so a
 * z-score on the raw scale would be dominated by a few large purchases.
 */
export const METRICS = ["count_1min", "count_5min", "count_15min", "spend_1min", "spend_5min", "spend_15min", "amount"] as const;
export type Metric = (typeof METRICS)[number];
export const N_METRICS = METRICS.length;
export const BASELINE_WINDOW = 32;
const EW_MIN_ALPHA = 1 / 64;

export class Baseline {
  /** Observations seen (not capped). */
  n = 0;
  readonly mean = new Float64Array(N_METRICS);
  readonly variance = new Float64Array(N_METRICS);
  /** ring[m * W + i]: arrival order; `pos` is the next slot to write. */
  readonly ring = new Float64Array(N_METRICS * BASELINE_WINDOW);
  readonly sorted = new Float64Array(N_METRICS * BASELINE_WINDOW);
  /** Observations held in ring/sorted (≤ BASELINE_WINDOW). */
  len = 0;
  pos = 0;

  /** Adds one observation vector (already transformed: counts raw, money log1p). */
  push(x: Float64Array): void {
    const alpha = Math.max(1 / (this.n + 1), EW_MIN_ALPHA);
    const W = BASELINE_WINDOW;
    const full = this.len === W;
    for (let m = 0; m < N_METRICS; m++) {
      const v = x[m] ?? 0;
      const diff = v - (this.mean[m] ?? 0);
      const incr = alpha * diff;
      this.mean[m] = (this.mean[m] ?? 0) + incr;
      this.variance[m] = (1 - alpha) * ((this.variance[m] ?? 0) + diff * incr);
      const base = m * W;
      let len = this.len;
      if (full) {
        // Remove the value leaving the ring from the sorted copy.
        const old = this.ring[base + this.pos] ?? 0;
        let i = 0;
        while (i < len - 1 && (this.sorted[base + i] ?? 0) !== old) i++;
        this.sorted.copyWithin(base + i, base + i + 1, base + len);
        len--;
      }
      this.ring[base + this.pos] = v;
      let j = len;
      while (j > 0 && (this.sorted[base + j - 1] ?? 0) > v) {
        this.sorted[base + j] = this.sorted[base + j - 1] ?? 0;
        j--;
      }
      this.sorted[base + j] = v;
    }
    this.n++;
    if (!full) this.len++;
    this.pos = (this.pos + 1) % W;
  }

  /** Quantile q of metric m over the held window (linear interpolation), NaN when empty. */
  quantile(m: number, q: number): number {
    const len = this.len;
    if (len === 0) return NaN;
    const base = m * BASELINE_WINDOW;
    const h = (len - 1) * q;
    const lo = Math.floor(h);
    const a = this.sorted[base + lo] ?? 0;
    const b = this.sorted[base + Math.min(lo + 1, len - 1)] ?? 0;
    return a + (b - a) * (h - lo);
  }

  /** Observations in arrival order, oldest first (for serialization). */
  history(): number[][] {
    const out: number[][] = [];
    const W = BASELINE_WINDOW;
    const start = this.len === W ? this.pos : 0;
    for (let k = 0; k < this.len; k++) {
      const i = (start + k) % W;
      const row: number[] = [];
      for (let m = 0; m < N_METRICS; m++) row.push(this.ring[m * W + i] ?? 0);
      out.push(row);
    }
    return out;
  }

  /** Rebuilds from serialized parts; the sorted copies are derived, not stored. */
  static restore(n: number, mean: number[], variance: number[], history: number[][]): Baseline {
    const b = new Baseline();
    const W = BASELINE_WINDOW;
    const rows = history.slice(-W);
    rows.forEach((row, i) => {
      for (let m = 0; m < N_METRICS; m++) b.ring[m * W + i] = row[m] ?? 0;
    });
    b.len = rows.length;
    b.pos = rows.length % W;
    for (let m = 0; m < N_METRICS; m++) {
      const vals = rows.map((r) => r[m] ?? 0).sort((x, y) => x - y);
      vals.forEach((v, i) => (b.sorted[m * W + i] = v));
      b.mean[m] = mean[m] ?? 0;
      b.variance[m] = variance[m] ?? 0;
    }
    b.n = n;
    return b;
  }
}
