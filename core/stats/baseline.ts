/**
 * Per-card baseline of the tier-2 statistics: for each metric, an exponentially weighted mean and
 * variance (Welford for the first 64 observations, then a fixed 1/64 weight so old habits fade) and
 * the last BASELINE_WINDOW observations, kept both in arrival order (ring) and sorted, so the
 * quartiles are two array reads. Bounded: 7 metrics × (2 + 2·32) doubles ≈ 3.7 kB per card, in one
 * Float64Array.
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

/** Doubles per metric block: mean, variance, ring[W], sorted[W]. */
const BLOCK = 2 + 2 * BASELINE_WINDOW;
const RING = 2;
const SORTED = 2 + BASELINE_WINDOW;

export class Baseline {
  /** Observations seen (not capped). */
  n = 0;
  /**
   * All of it in one array, one contiguous block per metric: [mean, variance, ring (arrival
   * order; `pos` is the next slot to write), sorted copy of the ring].
   */
  readonly data = new Float64Array(N_METRICS * BLOCK);
  /** Observations held in ring/sorted (≤ BASELINE_WINDOW). */
  len = 0;
  pos = 0;

  mean(m: number): number {
    return this.data[m * BLOCK] ?? 0;
  }

  variance(m: number): number {
    return this.data[m * BLOCK + 1] ?? 0;
  }

  /** Adds one observation vector (already transformed: counts raw, money log1p). */
  push(x: Float64Array): void {
    const alpha = Math.max(1 / (this.n + 1), EW_MIN_ALPHA);
    const full = this.len === BASELINE_WINDOW;
    const d = this.data;
    for (let m = 0; m < N_METRICS; m++) {
      const v = x[m] ?? 0;
      const base = m * BLOCK;
      const mean = d[base] ?? 0;
      const diff = v - mean;
      const incr = alpha * diff;
      d[base] = mean + incr;
      d[base + 1] = (1 - alpha) * ((d[base + 1] ?? 0) + diff * incr);
      const sorted = base + SORTED;
      let len = this.len;
      if (full) {
        // Remove the value leaving the ring from the sorted copy.
        const old = d[base + RING + this.pos] ?? 0;
        let i = 0;
        while (i < len - 1 && (d[sorted + i] ?? 0) !== old) i++;
        d.copyWithin(sorted + i, sorted + i + 1, sorted + len);
        len--;
      }
      d[base + RING + this.pos] = v;
      let j = len;
      while (j > 0 && (d[sorted + j - 1] ?? 0) > v) {
        d[sorted + j] = d[sorted + j - 1] ?? 0;
        j--;
      }
      d[sorted + j] = v;
    }
    this.n++;
    if (!full) this.len++;
    this.pos = (this.pos + 1) % BASELINE_WINDOW;
  }

  /** Quantile q of metric m over the held window (linear interpolation), NaN when empty. */
  quantile(m: number, q: number): number {
    const len = this.len;
    if (len === 0) return NaN;
    const base = m * BLOCK + SORTED;
    const h = (len - 1) * q;
    const lo = Math.floor(h);
    const a = this.data[base + lo] ?? 0;
    const b = this.data[base + Math.min(lo + 1, len - 1)] ?? 0;
    return a + (b - a) * (h - lo);
  }

  /** Sorted window of metric m (tests, diagnostics). */
  sortedWindow(m: number): number[] {
    const base = m * BLOCK + SORTED;
    return Array.from(this.data.subarray(base, base + this.len));
  }

  /** Observations in arrival order, oldest first (for serialization). */
  history(): number[][] {
    const out: number[][] = [];
    const W = BASELINE_WINDOW;
    const start = this.len === W ? this.pos : 0;
    for (let k = 0; k < this.len; k++) {
      const i = (start + k) % W;
      const row: number[] = [];
      for (let m = 0; m < N_METRICS; m++) row.push(this.data[m * BLOCK + RING + i] ?? 0);
      out.push(row);
    }
    return out;
  }

  /** Rebuilds from serialized parts; the sorted copies are derived, not stored. */
  static restore(n: number, mean: number[], variance: number[], history: number[][]): Baseline {
    const b = new Baseline();
    const rows = history.slice(-BASELINE_WINDOW);
    for (let m = 0; m < N_METRICS; m++) {
      const base = m * BLOCK;
      b.data[base] = mean[m] ?? 0;
      b.data[base + 1] = variance[m] ?? 0;
      rows.forEach((row, i) => (b.data[base + RING + i] = row[m] ?? 0));
      rows.map((r) => r[m] ?? 0).sort((x, y) => x - y).forEach((v, i) => (b.data[base + SORTED + i] = v));
    }
    b.len = rows.length;
    b.pos = rows.length % BASELINE_WINDOW;
    b.n = n;
    return b;
  }
}
