import { describe, expect, it } from "vitest";
import { createRng } from "../../random.js";
import { compileGbdt, PADDED_MAX_DEPTH } from "./compiled.js";
import { naiveMargin, randomGbdtModel } from "../../testing/gbdt-models.js";
import type { GbdtModel } from "./model.js";

function randomRow(seed: number, d: number, nanRate: number): Float64Array {
  const rng = createRng(seed);
  return Float64Array.from({ length: d }, () => (rng.chance(nanRate) ? NaN : rng.normal(0, 1.2)));
}

/** Algorithm 1 of Lundberg et al.: E[f(x) | x_S] under the cover weights, the naive way. */
function expectedGiven(m: GbdtModel, x: Float64Array, inS: boolean[]): number {
  let sum = m.base_score;
  for (const t of m.trees) {
    const g = (i: number): number => {
      if (t.f[i]! < 0) return t.v[i]!;
      const l = t.l[i]!;
      if (inS[t.f[i]!]) {
        const v = x[t.f[i]!]!;
        const right = Number.isNaN(v) ? t.m[i] === 1 : !(v < t.t[i]!);
        return g(right ? l + 1 : l);
      }
      const cl = t.c[l]!;
      const cr = t.c[l + 1]!;
      return (cl * g(l) + cr * g(l + 1)) / (cl + cr);
    };
    sum += g(0);
  }
  return sum;
}

function bruteShapley(m: GbdtModel, x: Float64Array): number[] {
  const M = m.feature_names.length;
  const fact = (n: number): number => (n <= 1 ? 1 : n * fact(n - 1));
  const phi = new Array<number>(M).fill(0);
  for (let i = 0; i < M; i++) {
    for (let mask = 0; mask < 1 << M; mask++) {
      if (mask & (1 << i)) continue;
      const inS = Array.from({ length: M }, (_, j) => (mask & (1 << j)) !== 0);
      const size = inS.filter(Boolean).length;
      const without = expectedGiven(m, x, inS);
      inS[i] = true;
      const withI = expectedGiven(m, x, inS);
      phi[i]! += ((fact(size) * fact(M - size - 1)) / fact(M)) * (withI - without);
    }
  }
  return phi;
}

describe("compiled GBDT inference", () => {
  const model = randomGbdtModel(11, { trees: 40, depth: 6, features: 12 });
  const g = compileGbdt(model);

  it("equals a naive tree walk, NaN included", () => {
    for (let r = 0; r < 500; r++) {
      const x = randomRow(r, 12, r % 3 === 0 ? 0.3 : 0);
      expect(g.predictMargin(x)).toBe(naiveMargin(model, x));
    }
  });

  it("uses the pointer walk for trees too deep to pad, with the same results", () => {
    const deep = randomGbdtModel(12, { trees: 4, depth: 12, features: 6, earlyLeaf: 0.35 });
    const depthOf = (t: GbdtModel["trees"][number], i: number): number => (t.f[i]! < 0 ? 0 : 1 + Math.max(depthOf(t, t.l[i]!), depthOf(t, t.l[i]! + 1)));
    expect(Math.max(...deep.trees.map((t) => depthOf(t, 0)))).toBeGreaterThan(PADDED_MAX_DEPTH);
    const dg = compileGbdt(deep);
    for (let r = 0; r < 200; r++) {
      const x = randomRow(r, 6, r % 3 === 0 ? 0.3 : 0);
      expect(dg.predictMargin(x)).toBe(naiveMargin(deep, x));
    }
  });

  it("sends NaN in the learned default direction", () => {
    const m = randomGbdtModel(3, { trees: 1, depth: 1, features: 1 });
    const tree = m.trees[0]!;
    tree.t[0] = 0;
    tree.v[1] = -1;
    tree.v[2] = 1;
    tree.m[0] = 0;
    expect(compileGbdt(m).predictMargin(Float64Array.of(NaN))).toBe(m.base_score - 1);
    tree.m[0] = 1;
    expect(compileGbdt(m).predictMargin(Float64Array.of(NaN))).toBe(m.base_score + 1);
    expect(compileGbdt(m).predictMargin(Float64Array.of(-Infinity))).toBe(m.base_score - 1);
  });

  it("maps margin to a calibrated probability and score", () => {
    const x = randomRow(5, 12, 0);
    const p = g.probability(x);
    expect(p).toBeCloseTo(1 / (1 + Math.exp(-g.predictMargin(x))), 15);
    expect(g.score(x)).toBeCloseTo(100 * p, 12);
  });

  it("rejects a feature vector that is too short", () => {
    expect(() => g.predictMargin(new Float64Array(3))).toThrow(RangeError);
  });
});

describe("TreeSHAP", () => {
  it("is locally accurate: contributions + expected value = margin", () => {
    const model = randomGbdtModel(21, { trees: 60, depth: 6, features: 10 });
    const g = compileGbdt(model);
    const out = new Float64Array(11);
    for (let r = 0; r < 200; r++) {
      const x = randomRow(1000 + r, 10, r % 4 === 0 ? 0.2 : 0);
      g.contributions(x, out);
      let sum = 0;
      for (const v of out) sum += v;
      expect(Math.abs(sum - g.predictMargin(x))).toBeLessThan(1e-9);
    }
  });

  it("matches brute-force Shapley values on a tiny model", () => {
    // Few features so trees reuse them along a path (the unwinding case) and 2^M subsets stay cheap.
    const model = randomGbdtModel(5, { trees: 6, depth: 4, features: 5, earlyLeaf: 0.1 });
    const g = compileGbdt(model);
    const out = new Float64Array(6);
    for (let r = 0; r < 30; r++) {
      const x = randomRow(77 + r, 5, r % 5 === 0 ? 0.3 : 0);
      g.contributions(x, out);
      const brute = bruteShapley(model, x);
      for (let i = 0; i < 5; i++) expect(out[i]).toBeCloseTo(brute[i]!, 10);
      expect(out[5]).toBeCloseTo(expectedGiven(model, x, [false, false, false, false, false]), 10);
    }
  });

  it("topReasons lists the largest positive contributions first", () => {
    const model = randomGbdtModel(8, { trees: 30, depth: 5, features: 8 });
    const g = compileGbdt(model);
    const x = randomRow(9, 8, 0);
    const phi = g.contributions(x, new Float64Array(9));
    const reasons = g.topReasons(x, 3);
    const expected = [...phi.slice(0, 8)]
      .map((v, i) => ({ v, i }))
      .filter((e) => e.v > 0)
      .sort((a, b) => b.v - a.v)
      .slice(0, 3)
      .map((e) => e.i);
    expect(reasons.map((r) => r.index)).toEqual(expected);
    expect(reasons.every((r) => r.feature === `x${r.index}`)).toBe(true);
  });
});
