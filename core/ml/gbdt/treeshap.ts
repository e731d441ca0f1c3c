// Exact TreeSHAP: Lundberg, Erion & Lee, "Consistent Individualized Feature Attribution for Tree
// Ensembles" (2018), Algorithm 2, in the form of the `shap` package's C++ (tree_shap_recursive):
// O(leaves · depth²) per tree instead of the exponential sum over feature subsets. The value of a
// feature subset S is the "path-dependent" conditional expectation: at a split on a feature in S,
// follow x; otherwise average both children weighted by their training cover.
//
// The path of unique features is kept in four flat arrays (structure of arrays) and each recursion
// level works on its own copy further along them, so a call allocates nothing. Divisions are
// replaced by multiplications with precomputed reciprocals: the weight updates are chains of
// dependent operations, and a division's latency made the whole thing several times slower.

/** 1/k for k = 0..64 (index 0 unused): unique path depth never exceeds the tree depth + 1. */
const INV = Float64Array.from({ length: 65 }, (_, k) => (k === 0 ? 0 : 1 / k));

/** The packed trees TreeSHAP reads (global node indices, right child = left + 1). */
export interface ShapTrees {
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly left: Int32Array;
  readonly missRight: Uint8Array;
  readonly value: Float64Array;
  /** cover(left) / (cover(left) + cover(right)) on splits: both fractions sum to one by construction. */
  readonly leftFraction: Float64Array;
  readonly roots: Int32Array;
}

export class TreeShap {
  private readonly pf: Int32Array;
  private readonly pz: Float64Array;
  private readonly po: Float64Array;
  private readonly pw: Float64Array;
  private x: Float64Array = new Float64Array(0);
  private phi: Float64Array = new Float64Array(0);

  constructor(
    private readonly trees: ShapTrees,
    maxDepth: number,
  ) {
    // Level k starts (unique depth k + 1) elements after level k − 1; unique depth ≤ maxDepth + 1.
    const size = ((maxDepth + 3) * (maxDepth + 4)) / 2 + 1;
    this.pf = new Int32Array(size);
    this.pz = new Float64Array(size);
    this.po = new Float64Array(size);
    this.pw = new Float64Array(size);
  }

  /** Adds every tree's SHAP values for x into phi[0 .. d−1] (margin units). */
  accumulate(x: Float64Array, phi: Float64Array): void {
    this.x = x;
    this.phi = phi;
    const roots = this.trees.roots;
    for (let t = 0; t < roots.length; t++) this.recurse(roots[t]!, 0, -1, 1, 1, -1);
  }

  private extend(off: number, depth: number, zero: number, one: number, feature: number): void {
    const { pf, pz, po, pw } = this;
    pf[off + depth] = feature;
    pz[off + depth] = zero;
    po[off + depth] = one;
    pw[off + depth] = depth === 0 ? 1 : 0;
    const inv = INV[depth + 1]!;
    for (let i = depth - 1; i >= 0; i--) {
      pw[off + i + 1]! += one * pw[off + i]! * (i + 1) * inv;
      pw[off + i] = zero * pw[off + i]! * (depth - i) * inv;
    }
  }

  private unwind(off: number, depth: number, index: number): void {
    const { pf, pz, po, pw } = this;
    const one = po[off + index]!;
    const zero = pz[off + index]!;
    let next = pw[off + depth]!;
    const invOne = one !== 0 ? 1 / one : 0;
    const invZero = zero !== 0 ? 1 / zero : 0;
    const inv = INV[depth + 1]!;
    for (let i = depth - 1; i >= 0; i--) {
      if (one !== 0) {
        const tmp = pw[off + i]!;
        pw[off + i] = next * (depth + 1) * INV[i + 1]! * invOne;
        next = tmp - pw[off + i]! * zero * (depth - i) * inv;
      } else {
        pw[off + i] = pw[off + i]! * (depth + 1) * invZero * INV[depth - i]!;
      }
    }
    for (let i = index; i < depth; i++) {
      pf[off + i] = pf[off + i + 1]!;
      pz[off + i] = pz[off + i + 1]!;
      po[off + i] = po[off + i + 1]!;
    }
  }

  /** Total weight of the path with element `index` unwound, without modifying the path. */
  private unwoundSum(off: number, depth: number, index: number): number {
    const pw = this.pw;
    const one = this.po[off + index]!;
    const zero = this.pz[off + index]!;
    let next = pw[off + depth]!;
    let total = 0;
    if (one !== 0) {
      const invOne = 1 / one;
      for (let i = depth - 1; i >= 0; i--) {
        const tmp = next * invOne * INV[i + 1]!;
        total += tmp;
        next = pw[off + i]! - tmp * zero * (depth - i);
      }
    } else if (zero !== 0) {
      const invZero = 1 / zero;
      for (let i = depth - 1; i >= 0; i--) total += pw[off + i]! * invZero * INV[depth - i]!;
    }
    return total * (depth + 1);
  }

  private recurse(node: number, depth: number, parentOff: number, zero: number, one: number, feature: number): void {
    const { pf, pz, po, pw, trees } = this;
    // This level's copy of the path starts right after the parent's (depth + 1 elements long).
    const off = parentOff + depth + 1;
    for (let i = 0; i < depth; i++) {
      pf[off + i] = pf[parentOff + i]!;
      pz[off + i] = pz[parentOff + i]!;
      po[off + i] = po[parentOff + i]!;
      pw[off + i] = pw[parentOff + i]!;
    }
    this.extend(off, depth, zero, one, feature);

    const split = trees.feature[node]!;
    if (split < 0) {
      const leaf = trees.value[node]!;
      for (let i = 1; i <= depth; i++) {
        const w = this.unwoundSum(off, depth, i);
        this.phi[pf[off + i]!]! += w * (po[off + i]! - pz[off + i]!) * leaf;
      }
      return;
    }

    const l = trees.left[node]!;
    const v = this.x[split]!;
    const goesRight = v < trees.threshold[node]! ? 0 : v >= trees.threshold[node]! ? 1 : trees.missRight[node]!;
    const hot = l + goesRight;
    const cold = l + 1 - goesRight;
    const lf = trees.leftFraction[node]!;
    const hotZero = goesRight === 0 ? lf : 1 - lf;
    const coldZero = 1 - hotZero;

    // A feature already on the path is unwound and its fractions carried into the new element.
    let inZero = 1;
    let inOne = 1;
    let k = 0;
    while (k <= depth && pf[off + k] !== split) k++;
    let d = depth;
    if (k <= depth) {
      inZero = pz[off + k]!;
      inOne = po[off + k]!;
      this.unwind(off, depth, k);
      d -= 1;
    }
    this.recurse(hot, d + 1, off, hotZero * inZero, inOne, split);
    this.recurse(cold, d + 1, off, coldZero * inZero, 0, split);
  }
}
