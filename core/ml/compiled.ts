import { averagePathLength, ForestModelSchema, type ForestModel, type ScoreReference } from "./model.js";

// Inference layout: every tree of the forest packed into one set of contiguous typed arrays, so
// scoring is a tight loop over integers and doubles with no allocation and no object access.

export interface FeatureContribution {
  feature: string;
  index: number;
  /** Share of the isolation credit, 0..1; the returned weights of all features sum to ≤ 1. */
  weight: number;
}

export interface CompiledForest {
  readonly modelVersion: string;
  readonly featureNames: readonly string[];
  readonly treeCount: number;
  /** c(ψ), the normaliser of the path length. */
  readonly normaliser: number;
  readonly scoreReference: ScoreReference;
  /** Anomaly score s(x, ψ) = 2^(−E[h(x)] / c(ψ)) in (0, 1]: ≈ 0.5 ordinary, → 1 anomalous. */
  score(x: Float64Array): number;
  /** E[h(x)], the mean path length over the trees, leaf adjustment c(size) included. */
  pathLength(x: Float64Array): number;
  /**
   * Which features drove the score. A tree whose path for x is shorter than average, h(x) < c(ψ),
   * has isolation credit (c(ψ) − h(x)) / c(ψ). Each split on that path hands out a part of it to
   * its feature in proportion to how many training rows it separated from x: the share of the
   * node's rows that went the other way (known from the leaf sizes). A split that peels x away
   * from most of the data gets nearly full weight; one where x follows the crowd gets little.
   * Credits are summed over trees and divided by their total; the `top` largest are returned,
   * largest first. A point no tree isolates faster than average gets an empty list.
   */
  explain(x: Float64Array, top?: number): FeatureContribution[];
  /** Where `score` falls among the training scores (score_reference), 0..1, interpolated. */
  percentile(score: number): number;
}

class PackedForest implements CompiledForest {
  readonly treeCount: number;
  readonly normaliser: number;
  private readonly d: number;
  private readonly roots: Int32Array;
  private readonly feature: Int32Array;
  private readonly left: Int32Array;
  private readonly threshold: Float64Array;
  /** On leaves: depth + c(leaf size), the whole path length of a point ending there. */
  private readonly leafValue: Float64Array;
  /** For every non-root node: the share of its parent's training rows that went the other way. */
  private readonly otherShare: Float64Array;
  private readonly credit: Float64Array;
  private readonly pathFeatures: Int32Array;
  private readonly pathShares: Float64Array;

  constructor(
    readonly modelVersion: string,
    readonly featureNames: readonly string[],
    readonly scoreReference: ScoreReference,
    model: ForestModel,
  ) {
    this.d = featureNames.length;
    this.treeCount = model.trees.length;
    this.normaliser = averagePathLength(model.trained.subsample_size);
    let total = 0;
    for (const t of model.trees) total += t.f.length;
    this.roots = new Int32Array(this.treeCount);
    this.feature = new Int32Array(total);
    this.left = new Int32Array(total);
    this.threshold = new Float64Array(total);
    this.leafValue = new Float64Array(total);
    this.otherShare = new Float64Array(total);
    let base = 0;
    let maxDepth = 0;
    model.trees.forEach((tree, ti) => {
      this.roots[ti] = base;
      const depth = new Int32Array(tree.f.length);
      for (let i = 0; i < tree.f.length; i++) {
        const f = tree.f[i]!;
        const g = base + i;
        this.feature[g] = f;
        if (f >= 0) {
          const l = tree.l[i]!;
          this.left[g] = base + l;
          this.threshold[g] = tree.t[i]!;
          depth[l] = depth[l + 1] = depth[i]! + 1;
        } else {
          this.left[g] = -1;
          this.leafValue[g] = depth[i]! + averagePathLength(tree.n[i]!);
          if (depth[i]! > maxDepth) maxDepth = depth[i]!;
        }
      }
      // Subtree sizes bottom-up (children always come after their parent).
      const size = new Float64Array(tree.f.length);
      for (let i = tree.f.length - 1; i >= 0; i--) {
        const l = tree.l[i]!;
        size[i] = tree.f[i]! < 0 ? tree.n[i]! : size[l]! + size[l + 1]!;
        if (l >= 0 && size[i]! > 0) {
          this.otherShare[base + l] = size[l + 1]! / size[i]!;
          this.otherShare[base + l + 1] = size[l]! / size[i]!;
        }
      }
      base += tree.f.length;
    });
    this.credit = new Float64Array(this.d);
    this.pathFeatures = new Int32Array(maxDepth + 1);
    this.pathShares = new Float64Array(maxDepth + 1);
  }

  pathLength(x: Float64Array): number {
    if (x.length < this.d) throw new RangeError(`expected ${this.d} features, got ${x.length}`);
    const feature = this.feature;
    const left = this.left;
    const threshold = this.threshold;
    const leafValue = this.leafValue;
    const roots = this.roots;
    let total = 0;
    for (let t = 0; t < roots.length; t++) {
      let node = roots[t]!;
      let f = feature[node]!;
      while (f >= 0) {
        node = x[f]! < threshold[node]! ? left[node]! : left[node]! + 1;
        f = feature[node]!;
      }
      total += leafValue[node]!;
    }
    return total / roots.length;
  }

  score(x: Float64Array): number {
    return Math.pow(2, -this.pathLength(x) / this.normaliser);
  }

  explain(x: Float64Array, top = 3): FeatureContribution[] {
    if (x.length < this.d) throw new RangeError(`expected ${this.d} features, got ${x.length}`);
    // Locals, not this.*, in the loops: explain runs on every event the forest flags (a few
    // per cent), and was 8× the cost of score() when it read the fields per node.
    const credit = this.credit.fill(0);
    const path = this.pathFeatures;
    const shares = this.pathShares;
    const feature = this.feature;
    const left = this.left;
    const threshold = this.threshold;
    const otherShare = this.otherShare;
    const leafValue = this.leafValue;
    const roots = this.roots;
    const c = this.normaliser;
    let sum = 0;
    for (let t = 0; t < roots.length; t++) {
      let node = roots[t]!;
      let depth = 0;
      let f = feature[node]!;
      let separated = 0;
      while (f >= 0) {
        node = x[f]! < threshold[node]! ? left[node]! : left[node]! + 1;
        const share = otherShare[node]!;
        path[depth] = f;
        shares[depth++] = share;
        separated += share;
        f = feature[node]!;
      }
      const gain = (c - leafValue[node]!) / c;
      if (gain <= 0 || separated === 0) continue;
      for (let i = 0; i < depth; i++) credit[path[i]!]! += (gain * shares[i]!) / separated;
      sum += gain;
    }
    if (sum === 0) return [];
    // The `top` largest credits, largest first (ties: lower index first), by selection: top is
    // small (≤ explain_top) and this allocates only what it returns.
    const out: FeatureContribution[] = [];
    const n = Math.max(0, top);
    let prev = Infinity;
    let prevIndex = -1;
    while (out.length < n) {
      let best = -1;
      let bestW = 0;
      for (let k = 0; k < this.d; k++) {
        const w = credit[k]!;
        if (w <= 0) continue;
        // Strictly after the previous pick in (weight desc, index asc) order.
        if (w > prev || (w === prev && k <= prevIndex)) continue;
        if (best < 0 || w > bestW) {
          best = k;
          bestW = w;
        }
      }
      if (best < 0) break;
      out.push({ feature: this.featureNames[best]!, index: best, weight: bestW / sum });
      prev = bestW;
      prevIndex = best;
    }
    return out;
  }

  percentile(score: number): number {
    const q = this.scoreReference.quantiles;
    const first = q[0]!;
    const last = q[q.length - 1]!;
    if (score <= first[1]) return first[0];
    if (score >= last[1]) return last[0];
    for (let i = 1; i < q.length; i++) {
      const [q1, s1] = q[i]!;
      if (score <= s1) {
        const [q0, s0] = q[i - 1]!;
        return s1 > s0 ? q0 + ((score - s0) / (s1 - s0)) * (q1 - q0) : q1;
      }
    }
    return last[0];
  }
}

/**
 * Packs a model for inference. Accepts a parsed ForestModel or untrusted JSON (validated with
 * ForestModelSchema first); throws a ZodError naming the problem if the model is malformed.
 */
export function compileForest(model: unknown): CompiledForest {
  const m = ForestModelSchema.parse(model);
  return new PackedForest(m.model_version, Object.freeze([...m.feature_names]), m.score_reference, m);
}
