import { createRng } from "../random.js";
import type { GbdtDataset } from "../ml/gbdt/train/data.js";

// Seeded synthetic data for the trainer's tests and `npm run bench:train` with a planted signal. Features are standard
// normal; the label comes from an interaction of two features plus one main effect and noise:
//   s = x[a]·x[b] + 0.5·x[c] + noise·ε,   y = 1 when s > cut
// so no single feature separates the classes but a depth ≥ 2 tree can.

export interface PlantedOptions {
  rows: number;
  cols: number;
  seed: number;
  /** s > cut is fraud; 1.2 gives ~10 %, 3.4 gives ~1 % positives. */
  cut?: number;
  noise?: number;
  /** Share of all values replaced by NaN. */
  nanRate?: number;
  /** Share of labels replaced by a coin flip (a target no model can fit well). */
  labelNoise?: number;
  /** Label = "x[a] is missing" instead (missingness itself is the signal). */
  missingIsSignal?: boolean;
}

export const PLANTED = { a: 2, b: 5, c: 7 } as const;

export function plantedDataset(o: PlantedOptions): GbdtDataset {
  const rng = createRng(o.seed);
  const { rows, cols } = o;
  const x = new Float64Array(rows * cols);
  const y = new Uint8Array(rows);
  const cut = o.cut ?? 1.2;
  const noise = o.noise ?? 0.25;
  const nanRate = o.nanRate ?? 0;
  for (let i = 0; i < rows; i++) {
    const base = i * cols;
    for (let j = 0; j < cols; j++) x[base + j] = rng.normal(0, 1);
    const s = x[base + PLANTED.a]! * x[base + PLANTED.b]! + 0.5 * x[base + PLANTED.c]! + noise * rng.normal(0, 1);
    y[i] = s > cut ? 1 : 0;
    if (nanRate > 0) for (let j = 0; j < cols; j++) if (rng.chance(nanRate)) x[base + j] = NaN;
    if (o.missingIsSignal) {
      const fraud = rng.chance(0.1);
      y[i] = fraud ? 1 : 0;
      x[base + PLANTED.a] = fraud !== rng.chance(0.05) ? NaN : rng.normal(0, 1);
    }
    if (o.labelNoise && rng.chance(o.labelNoise)) y[i] = rng.chance(0.5) ? 1 : 0;
  }
  const featureNames = Array.from({ length: cols }, (_, j) => `f${j}`);
  return { x, rows, cols, y, featureNames };
}
