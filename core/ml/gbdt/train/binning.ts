import { round9 } from "../model.js";

// Quantile binning: per feature at most maxBins value bins (≤ 255) from cut points c_0 < c_1 < …;
// bin(x) = the number of cut points ≤ x, so "bin ≤ b" is exactly "x < c_b", the model's split
// test. NaN gets its own bin, MISSING_BIN. Cut points are rounded (round9) before any row is
// binned, so the stored thresholds separate the training rows exactly as the trainer saw them.

export const MISSING_BIN = 255;
/** Histogram slots per feature: value bins 0..254 and the missing bin. */
export const BIN_SLOTS = 256;

/** A cut strictly above lo and at most hi, short when rounding keeps it in that interval. */
function cutBetween(lo: number, hi: number): number {
  let c = lo + (hi - lo) / 2;
  if (!(c > lo && c <= hi)) c = hi;
  const r = round9(c);
  return r > lo && r <= hi ? r : c;
}

/** Rows read for cut points at most (as LightGBM's bin_construct_sample_cnt): quantiles settle long before. */
export const CUT_SAMPLE_ROWS = 200_000;

/**
 * Cut points per feature from the training rows (every k-th row beyond CUT_SAMPLE_ROWS). With ≤ maxBins distinct values every gap gets a
 * cut; otherwise cuts sit at the equal-count quantiles (a heavy value like 0 keeps a bin of its
 * own: cuts that would fall inside a run of equal values are dropped). Deterministic: it sorts.
 */
export function computeCuts(x: ArrayLike<number>, rows: number, cols: number, maxBins: number): Float64Array[] {
  if (!(maxBins >= 2 && maxBins <= 255)) throw new RangeError("maxBins must be in 2..255");
  const cuts: Float64Array[] = [];
  const stride = Math.ceil(rows / CUT_SAMPLE_ROWS);
  const values = new Float64Array(Math.ceil(rows / stride));
  for (let j = 0; j < cols; j++) {
    let n = 0;
    for (let i = 0; i < rows; i += stride) {
      const v = x[i * cols + j]!;
      if (v === v) values[n++] = v;
    }
    const sorted = values.subarray(0, n).sort();
    let distinct = 0;
    for (let i = 0; i < n; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct++;
    const out: number[] = [];
    const push = (lo: number, hi: number) => {
      const c = cutBetween(lo, hi);
      if (out.length === 0 || c > out[out.length - 1]!) out.push(c);
    };
    if (distinct <= maxBins) {
      for (let i = 1; i < n; i++) if (sorted[i] !== sorted[i - 1]) push(sorted[i - 1]!, sorted[i]!);
    } else {
      for (let q = 1; q < maxBins; q++) {
        // First position of the q-th quantile's value: the cut goes just below it.
        let pos = Math.floor((q * n) / maxBins);
        while (pos > 0 && sorted[pos] === sorted[pos - 1]) pos--;
        if (pos > 0) push(sorted[pos - 1]!, sorted[pos]!);
      }
    }
    cuts.push(Float64Array.from(out));
  }
  return cuts;
}

/** The bin of one value: number of cuts ≤ v (binary search), MISSING_BIN for NaN. */
export function binOf(cuts: Float64Array, v: number): number {
  if (v !== v) return MISSING_BIN;
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cuts[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Row-major bins, one byte per value (rows × cols). */
export function binRows(x: ArrayLike<number>, rows: number, cols: number, cuts: readonly Float64Array[]): Uint8Array {
  const bins = new Uint8Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const base = i * cols;
    for (let j = 0; j < cols; j++) bins[base + j] = binOf(cuts[j]!, x[base + j]!);
  }
  return bins;
}
