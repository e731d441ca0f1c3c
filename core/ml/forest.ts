import { createRng, type Rng } from "../random.js";
import { compileForest } from "./compiled.js";
import {
  FOREST_FORMAT,
  FOREST_FORMAT_VERSION,
  type ForestModel,
  type ScoreReference,
  type Trained,
  type Tree,
} from "./model.js";

// Isolation Forest training after Liu, Ting & Zhou, "Isolation Forest" (ICDM 2008): each iTree
// is grown on a random subsample of ψ rows without replacement by picking a random feature and a
// split value drawn uniformly between that feature's min and max in the node, until the node
// holds one row, all its rows are identical, or the height limit ceil(log2 ψ) is reached.

export interface TrainOptions {
  /** Number of iTrees t (paper: 100). */
  trees?: number;
  /** Subsample size ψ (paper: 256); capped at the number of rows. */
  subsampleSize?: number;
  /** Height limit; default ceil(log2 ψ). */
  heightLimit?: number;
  seed: number;
  modelVersion?: string;
  /** Provenance written into the model's `trained` block. */
  provenance?: Pick<Trained, "command" | "generator" | "generated_at_event_time" | "notes">;
  /** Rows used for score_reference; default: all training rows (at most `referenceRows`). */
  referenceRows?: number;
  /**
   * Per feature, the space in which split values are drawn uniformly (default all "linear").
   * "signed_log" draws them uniformly in sign(x)·ln(1 + |x|), which suits heavy-tailed amounts
   * and counts. Thresholds are stored back in raw units, so inference needs no transform.
   */
  splitSpace?: readonly SplitSpace[];
}

export type SplitSpace = "linear" | "signed_log";
const slog = (x: number) => (x < 0 ? -Math.log1p(-x) : Math.log1p(x));
const sexp = (y: number) => (y < 0 ? -Math.expm1(-y) : Math.expm1(y));

/** Quantile levels stored in score_reference. */
export const REFERENCE_QUANTILES = [
  0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 0.9999, 1,
] as const;

/**
 * A split value strictly above the node's minimum and at most its maximum (raw units), drawn
 * uniformly in the feature's split space between them. It is rounded to 7 significant digits to
 * keep the JSON small when the rounded value still separates min from max.
 */
function splitValue(min: number, max: number, space: SplitSpace, rng: Rng): number {
  const u = rng.next();
  let p = space === "linear" ? min + (max - min) * u : sexp(slog(min) + (slog(max) - slog(min)) * u);
  if (!(p > min && p <= max)) p = min + (max - min) / 2;
  if (!(p > min)) p = max;
  const r = Number(p.toPrecision(7));
  return r > min && r <= max ? r : p;
}

function growTree(data: Float64Array, d: number, sample: Int32Array, heightLimit: number, spaces: readonly SplitSpace[], rng: Rng): Tree {
  const f: number[] = [0];
  const t: number[] = [0];
  const l: number[] = [0];
  const n: number[] = [0];
  const leaf = (node: number, size: number) => {
    f[node] = -1;
    t[node] = 0;
    l[node] = -1;
    n[node] = size;
  };

  const grow = (node: number, lo: number, hi: number, depth: number): void => {
    const size = hi - lo;
    if (size <= 1 || depth >= heightLimit) return leaf(node, size);
    // Random feature; if it is constant in this node, walk the others from a random offset.
    const start = rng.int(d);
    let feat = -1;
    let min = 0;
    let max = 0;
    for (let k = 0; k < d && feat < 0; k++) {
      const q = (start + k) % d;
      min = Infinity;
      max = -Infinity;
      for (let i = lo; i < hi; i++) {
        const v = data[sample[i]! * d + q]!;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      if (max > min) feat = q;
    }
    if (feat < 0) return leaf(node, size);
    const p = splitValue(min, max, spaces[feat] ?? "linear", rng);
    // Partition sample[lo, hi) into x < p | x ≥ p, exactly as inference will route rows.
    let i = lo;
    let j = hi - 1;
    while (i <= j) {
      if (data[sample[i]! * d + feat]! < p) i++;
      else {
        const tmp = sample[i]!;
        sample[i] = sample[j]!;
        sample[j] = tmp;
        j--;
      }
    }
    const left = f.length;
    f.push(0, 0);
    t.push(0, 0);
    l.push(0, 0);
    n.push(0, 0);
    f[node] = feat;
    t[node] = p;
    l[node] = left;
    n[node] = 0;
    grow(left, lo, i, depth + 1);
    grow(left + 1, i, hi, depth + 1);
  };
  grow(0, 0, sample.length, 0);
  return { f, t, l, n };
}

function toRowMajor(rows: Float64Array[] | Float64Array, d: number): Float64Array {
  if (!Array.isArray(rows)) {
    if (rows.length % d !== 0) throw new RangeError(`row-major data length ${rows.length} is not a multiple of ${d}`);
    return rows;
  }
  const out = new Float64Array(rows.length * d);
  rows.forEach((r, i) => {
    if (r.length !== d) throw new RangeError(`row ${i} has ${r.length} values, expected ${d}`);
    out.set(r, i * d);
  });
  return out;
}

/** Empirical quantiles (type 7, linear interpolation) of `scores`, which is sorted in place. */
export function scoreReference(scores: Float64Array): ScoreReference {
  if (scores.length === 0) throw new RangeError("score reference needs at least one score");
  scores.sort();
  let sum = 0;
  for (let i = 0; i < scores.length; i++) sum += scores[i]!;
  const at = (q: number) => {
    const h = (scores.length - 1) * q;
    const lo = Math.floor(h);
    const hi = Math.min(lo + 1, scores.length - 1);
    return scores[lo]! + (h - lo) * (scores[hi]! - scores[lo]!);
  };
  const round = (x: number) => Number(x.toFixed(6));
  return {
    rows: scores.length,
    mean: round(sum / scores.length),
    quantiles: REFERENCE_QUANTILES.map((q) => [q, round(at(q))] as [number, number]),
  };
}

/**
 * Trains an Isolation Forest on `rows` (an array of rows, or one row-major Float64Array) whose
 * columns are `featureNames`. Deterministic: the same rows, names and options give the same model.
 */
export function trainForest(
  rows: Float64Array[] | Float64Array,
  featureNames: readonly string[],
  opts: TrainOptions,
): ForestModel {
  const d = featureNames.length;
  if (d === 0) throw new RangeError("at least one feature is needed");
  const data = toRowMajor(rows, d);
  const nRows = data.length / d;
  if (nRows < 2) throw new RangeError("at least two rows are needed");
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) throw new RangeError(`non-finite value at row ${Math.floor(i / d)}, feature ${featureNames[i % d]}`);
  }
  const nTrees = opts.trees ?? 100;
  const psi = Math.min(opts.subsampleSize ?? 256, nRows);
  const heightLimit = opts.heightLimit ?? Math.ceil(Math.log2(psi));
  if (!(nTrees >= 1 && Number.isInteger(nTrees))) throw new RangeError("trees must be a positive integer");
  if (!(heightLimit >= 1 && Number.isInteger(heightLimit))) throw new RangeError("heightLimit must be a positive integer");
  const spaces = opts.splitSpace ?? [];
  if (spaces.length !== 0 && spaces.length !== d) throw new RangeError(`splitSpace needs ${d} entries, got ${spaces.length}`);

  const rng = createRng(opts.seed);
  const all = new Int32Array(nRows);
  for (let i = 0; i < nRows; i++) all[i] = i;
  const trees: Tree[] = [];
  for (let k = 0; k < nTrees; k++) {
    const treeRng = rng.fork(`tree:${k}`);
    // Partial Fisher–Yates: the first ψ entries become a uniform sample without replacement.
    for (let i = 0; i < psi; i++) {
      const j = i + treeRng.int(nRows - i);
      const tmp = all[i]!;
      all[i] = all[j]!;
      all[j] = tmp;
    }
    trees.push(growTree(data, d, all.slice(0, psi), heightLimit, spaces, treeRng));
  }

  const model: ForestModel = {
    format: FOREST_FORMAT,
    format_version: FOREST_FORMAT_VERSION,
    model_version: opts.modelVersion ?? `iforest-s${opts.seed}`,
    feature_names: [...featureNames],
    trained: {
      seed: opts.seed,
      trees: nTrees,
      subsample_size: psi,
      height_limit: heightLimit,
      rows: nRows,
      ...(spaces.length > 0 ? { split_space: [...spaces] } : {}),
      ...(opts.provenance ?? { notes: "" }),
    },
    score_reference: { rows: 1, mean: 0, quantiles: [[0, 0], [1, 1]] },
    trees,
  };
  // The reference is computed with the compiled model itself so it matches inference exactly.
  const compiled = compileForest(model);
  const refRows = Math.min(nRows, opts.referenceRows ?? 200_000);
  const stride = nRows / refRows;
  const scores = new Float64Array(refRows);
  for (let i = 0; i < refRows; i++) {
    const r = Math.floor(i * stride);
    scores[i] = compiled.score(data.subarray(r * d, r * d + d));
  }
  model.score_reference = scoreReference(scores);
  return model;
}
