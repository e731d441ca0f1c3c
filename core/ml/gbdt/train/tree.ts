import { round9, type GbdtTree } from "../model.js";
import { MISSING_BIN } from "./binning.js";
import { bestSplit, buildHistogram, newHistogram, subtractHistogram, type SplitParams } from "./histogram.js";

// One regression tree on gradients and hessians, grown depth-wise (level by level, nodes in
// breadth-first order, so children always come after their parent and the right child is
// left + 1, as the model file requires). Histogram subtraction: of two siblings only the one
// with fewer rows is histogrammed; the other is its parent's histogram minus that one.

export interface TreeContext {
  bins: Uint8Array;
  cols: number;
  cuts: readonly Float64Array[];
  nBins: Int32Array;
  grad: Float64Array;
  hess: Float64Array;
  params: SplitParams & { maxDepth: number; learningRate: number };
}

/** A grown tree plus, per node, the split bin (for walking binned rows); −1 on leaves. */
export interface GrownTree {
  tree: GbdtTree;
  splitBin: Int32Array;
}

interface Open {
  node: number;
  lo: number;
  hi: number;
  G: number;
  H: number;
  hist: Float64Array;
}

/** Histogram buffers reused across nodes and trees: growing allocates nothing per node. */
export class HistogramPool {
  private free: Float64Array[] = [];
  constructor(private readonly cols: number) {}
  take(): Float64Array {
    return this.free.pop() ?? newHistogram(this.cols);
  }
  give(h: Float64Array): void {
    this.free.push(h);
  }
}

function sums(idx: Int32Array, lo: number, hi: number, grad: Float64Array, hess: Float64Array): [number, number] {
  let g = 0;
  let h = 0;
  for (let i = lo; i < hi; i++) {
    g += grad[idx[i]!]!;
    h += hess[idx[i]!]!;
  }
  return [g, h];
}

/**
 * Grows a tree on rows idx[0..n) (reordered in place: each node's rows end up contiguous),
 * splitting only on `features`. `scratch` must hold n integers.
 */
export function growTree(ctx: TreeContext, idx: Int32Array, n: number, features: Int32Array, pool: HistogramPool, scratch: Int32Array): GrownTree {
  const { bins, cols, grad, hess, params } = ctx;
  const tree: GbdtTree = { f: [], t: [], l: [], m: [], v: [], c: [] };
  const splitBin: number[] = [];
  const addNode = (H: number): number => {
    tree.f.push(-1);
    tree.t.push(0);
    tree.l.push(-1);
    tree.m.push(0);
    tree.v.push(0);
    tree.c.push(round9(H));
    splitBin.push(-1);
    return tree.f.length - 1;
  };
  // Newton step for the leaf, shrunk by the learning rate; rounded now so the file predicts
  // exactly the margins the trainer goes on with.
  const leafValue = (G: number, H: number) => round9((-G / (H + params.lambda)) * params.learningRate);
  const makeLeaf = (o: Open) => {
    tree.v[o.node] = leafValue(o.G, o.H);
    pool.give(o.hist);
  };

  const [G0, H0] = sums(idx, 0, n, grad, hess);
  const rootHist = pool.take();
  buildHistogram(rootHist, bins, cols, idx, 0, n, grad, hess, features);
  let open: Open[] = [{ node: addNode(H0), lo: 0, hi: n, G: G0, H: H0, hist: rootHist }];

  for (let depth = 0; depth < params.maxDepth && open.length > 0; depth++) {
    const next: Open[] = [];
    for (const o of open) {
      const s = bestSplit(o.hist, features, ctx.nBins, o.G, o.H, params);
      if (s === null) {
        makeLeaf(o);
        continue;
      }
      // Stable partition: left rows keep their order, then right rows.
      let nl = 0;
      let nr = 0;
      const missLeft = s.missRight === 0;
      for (let i = o.lo; i < o.hi; i++) {
        const r = idx[i]!;
        const b = bins[r * cols + s.feature]!;
        if (b === MISSING_BIN ? missLeft : b <= s.bin) idx[o.lo + nl++] = r;
        else scratch[nr++] = r;
      }
      idx.set(scratch.subarray(0, nr), o.lo + nl);
      const mid = o.lo + nl;
      const [gl, hl] = sums(idx, o.lo, mid, grad, hess);
      const [gr, hr] = sums(idx, mid, o.hi, grad, hess);
      const l = addNode(hl);
      addNode(hr);
      tree.f[o.node] = s.feature;
      tree.t[o.node] = ctx.cuts[s.feature]![s.bin]!;
      tree.l[o.node] = l;
      tree.m[o.node] = s.missRight;
      splitBin[o.node] = s.bin;
      if (depth + 1 >= params.maxDepth) {
        // The children will be leaves: no histograms needed.
        pool.give(o.hist);
        tree.v[l] = leafValue(gl, hl);
        tree.v[l + 1] = leafValue(gr, hr);
        continue;
      }
      const small = pool.take();
      const leftSmaller = nl <= nr;
      if (leftSmaller) buildHistogram(small, bins, cols, idx, o.lo, mid, grad, hess, features);
      else buildHistogram(small, bins, cols, idx, mid, o.hi, grad, hess, features);
      subtractHistogram(o.hist, small, features);
      const leftHist = leftSmaller ? small : o.hist;
      const rightHist = leftSmaller ? o.hist : small;
      next.push({ node: l, lo: o.lo, hi: mid, G: gl, H: hl, hist: leftHist });
      next.push({ node: l + 1, lo: mid, hi: o.hi, G: gr, H: hr, hist: rightHist });
    }
    open = next;
  }
  for (const o of open) makeLeaf(o);
  return { tree, splitBin: Int32Array.from(splitBin) };
}

/** Adds the tree's leaf values to margin for every binned row (training rows, sampled or not). */
export function addTreeBinned(g: GrownTree, bins: Uint8Array, rows: number, cols: number, margin: Float64Array): void {
  const { f, l, m, v } = g.tree;
  const sb = g.splitBin;
  for (let r = 0; r < rows; r++) {
    let i = 0;
    const base = r * cols;
    while (f[i]! >= 0) {
      const b = bins[base + f[i]!]!;
      i = l[i]! + (b === MISSING_BIN ? m[i]! : b <= sb[i]! ? 0 : 1);
    }
    margin[r]! += v[i]!;
  }
}

/** Adds the tree's leaf values to margin for raw rows (validation): the model's own split test. */
export function addTreeRaw(tree: GbdtTree, x: ArrayLike<number>, rows: number, cols: number, margin: Float64Array): void {
  const { f, t, l, m, v } = tree;
  for (let r = 0; r < rows; r++) {
    let i = 0;
    const base = r * cols;
    while (f[i]! >= 0) {
      const val = x[base + f[i]!]!;
      i = l[i]! + (val < t[i]! ? 0 : val >= t[i]! ? 1 : m[i]!);
    }
    margin[r]! += v[i]!;
  }
}
