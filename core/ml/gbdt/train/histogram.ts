import { BIN_SLOTS, MISSING_BIN } from "./binning.js";

// Gradient/hessian histograms and the best split of a node (second-order gain as in XGBoost):
//   gain = ½ [G_L² / (H_L + λ) + G_R² / (H_R + λ) − G² / (H + λ)]
// Layout: Float64Array of cols × BIN_SLOTS × 2, [Σg, Σh] per (feature, bin).

export const HIST_STRIDE = BIN_SLOTS * 2;

export function newHistogram(cols: number): Float64Array {
  return new Float64Array(cols * HIST_STRIDE);
}

/** Sums g and h of rows idx[lo..hi) into hist for the given features (their slots are zeroed first). */
export function buildHistogram(
  hist: Float64Array,
  bins: Uint8Array,
  cols: number,
  idx: Int32Array,
  lo: number,
  hi: number,
  grad: Float64Array,
  hess: Float64Array,
  features: Int32Array,
): void {
  const nf = features.length;
  for (let k = 0; k < nf; k++) {
    const o = features[k]! * HIST_STRIDE;
    hist.fill(0, o, o + HIST_STRIDE);
  }
  for (let i = lo; i < hi; i++) {
    const r = idx[i]!;
    const g = grad[r]!;
    const h = hess[r]!;
    const base = r * cols;
    for (let k = 0; k < nf; k++) {
      const j = features[k]!;
      const o = j * HIST_STRIDE + (bins[base + j]! << 1);
      hist[o]! += g;
      hist[o + 1]! += h;
    }
  }
}

/** parent −= child, feature by feature: the sibling's histogram without touching its rows. */
export function subtractHistogram(parent: Float64Array, child: Float64Array, features: Int32Array): void {
  for (let k = 0; k < features.length; k++) {
    const o = features[k]! * HIST_STRIDE;
    for (let s = o; s < o + HIST_STRIDE; s++) parent[s]! -= child[s]!;
  }
}

export interface SplitParams {
  lambda: number;
  minChildHessian: number;
  minSplitGain: number;
}

export interface Split {
  gain: number;
  feature: number;
  /** Rows with bin ≤ bin go left (x < cuts[feature][bin]). */
  bin: number;
  /** 1 = NaN goes right, 0 = left. */
  missRight: 0 | 1;
}

/**
 * The best split over `features` of a node with totals G, H, or null when none gains more than
 * minSplitGain with both children holding ≥ minChildHessian. Ties keep the first candidate found
 * (features in the given order, bins ascending, NaN right before left): deterministic.
 */
export function bestSplit(hist: Float64Array, features: Int32Array, nBins: Int32Array, G: number, H: number, p: SplitParams): Split | null {
  const lambda = p.lambda;
  const minH = p.minChildHessian;
  const parentScore = (G * G) / (H + lambda);
  let best: Split | null = null;
  let bestGain = p.minSplitGain;
  for (let k = 0; k < features.length; k++) {
    const j = features[k]!;
    const o = j * HIST_STRIDE;
    const gm = hist[o + MISSING_BIN * 2]!;
    const hm = hist[o + MISSING_BIN * 2 + 1]!;
    const hasMissing = hm > 0;
    let gl = 0;
    let hl = 0;
    const last = nBins[j]! - 1;
    for (let b = 0; b < last; b++) {
      gl += hist[o + 2 * b]!;
      hl += hist[o + 2 * b + 1]!;
      // NaN right: left = bins ≤ b.
      let hr = H - hl;
      if (hl >= minH && hr >= minH) {
        const gr = G - gl;
        const gain = 0.5 * ((gl * gl) / (hl + lambda) + (gr * gr) / (hr + lambda) - parentScore);
        if (gain > bestGain) {
          bestGain = gain;
          best = { gain, feature: j, bin: b, missRight: 1 };
        }
      }
      if (!hasMissing) continue;
      // NaN left: left = bins ≤ b and the missing bin.
      const gl2 = gl + gm;
      const hl2 = hl + hm;
      hr = H - hl2;
      if (hl2 >= minH && hr >= minH) {
        const gr = G - gl2;
        const gain = 0.5 * ((gl2 * gl2) / (hl2 + lambda) + (gr * gr) / (hr + lambda) - parentScore);
        if (gain > bestGain) {
          bestGain = gain;
          best = { gain, feature: j, bin: b, missRight: 0 };
        }
      }
    }
  }
  return best;
}
