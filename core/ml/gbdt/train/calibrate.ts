import { round9, type GbdtCalibration } from "../model.js";

// Platt scaling (Platt 1999, with the numerically careful Newton method of Lin, Lin & Weng 2007):
// fit p = σ(a·margin + b) by maximum likelihood on validation margins. The training margins are
// skewed by class weighting (scale_pos_weight) and shrinkage, so the raw σ(margin) is not a
// probability; Platt's smoothed targets (N₊ + 1)/(N₊ + 2) and 1/(N₋ + 2) keep a and b finite when
// the validation set is separable. Deterministic: fixed start, fixed iteration cap and order.

export function fitPlatt(margin: Float64Array, y: Uint8Array, maxIter = 100): GbdtCalibration {
  const n = y.length;
  let pos = 0;
  for (let i = 0; i < n; i++) pos += y[i]!;
  const neg = n - pos;
  const hiT = (pos + 1) / (pos + 2);
  const loT = 1 / (neg + 2);
  const sigma = 1e-12; // ridge on the Hessian, as in Lin et al.
  let a = 0;
  let b = Math.log((pos + 1) / (neg + 1));

  // Negative log-likelihood f(a, b) with the smoothed targets, computed stably.
  const objective = (A: number, B: number): number => {
    let f = 0;
    for (let i = 0; i < n; i++) {
      const t = y[i] === 1 ? hiT : loT;
      const z = A * margin[i]! + B;
      f += z >= 0 ? (1 - t) * z + Math.log1p(Math.exp(-z)) : -t * z + Math.log1p(Math.exp(z));
    }
    return f;
  };
  let fval = objective(a, b);
  for (let it = 0; it < maxIter; it++) {
    let h11 = sigma;
    let h22 = sigma;
    let h21 = 0;
    let g1 = 0;
    let g2 = 0;
    for (let i = 0; i < n; i++) {
      const t = y[i] === 1 ? hiT : loT;
      const z = a * margin[i]! + b;
      const p = z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
      const d2 = p * (1 - p);
      const m = margin[i]!;
      h11 += m * m * d2;
      h22 += d2;
      h21 += m * d2;
      const d1 = p - t;
      g1 += m * d1;
      g2 += d1;
    }
    if (Math.abs(g1) < 1e-10 * n && Math.abs(g2) < 1e-10 * n) break;
    const det = h11 * h22 - h21 * h21;
    const da = -(h22 * g1 - h21 * g2) / det;
    const db = -(-h21 * g1 + h11 * g2) / det;
    const gd = g1 * da + g2 * db;
    // Backtracking line search: halve the step until the objective decreases enough.
    let step = 1;
    let moved = false;
    while (step >= 1e-10) {
      const na = a + step * da;
      const nb = b + step * db;
      const nf = objective(na, nb);
      if (nf < fval + 1e-4 * step * gd) {
        a = na;
        b = nb;
        fval = nf;
        moved = true;
        break;
      }
      step /= 2;
    }
    if (!moved) break;
  }
  return { method: "platt", a: round9(a), b: round9(b) };
}

export function plattProbability(c: GbdtCalibration, margin: number): number {
  return 1 / (1 + Math.exp(-(c.a * margin + c.b)));
}
