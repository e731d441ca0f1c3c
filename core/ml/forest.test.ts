import { describe, expect, it } from "vitest";
import { createRng } from "../random.js";
import { compileForest } from "./compiled.js";
import { trainForest } from "./forest.js";
import { averagePathLength, ForestModelSchema } from "./model.js";

const H = (i: number) => Math.log(i) + 0.5772156649;

/** Gaussian inliers in `d` dims plus `k` outliers planted 6–10 sd out on 2–5 random features. */
function plantedData(seed: number, n: number, k: number, d: number) {
  const rng = createRng(seed);
  const rows: Float64Array[] = [];
  const labels: boolean[] = [];
  for (let i = 0; i < n; i++) {
    rows.push(Float64Array.from({ length: d }, () => rng.normal(0, 1)));
    labels.push(false);
  }
  for (let i = 0; i < k; i++) {
    const row = Float64Array.from({ length: d }, () => rng.normal(0, 1));
    const dims = rng.shuffle(Array.from({ length: d }, (_, j) => j)).slice(0, 2 + rng.int(4));
    for (const j of dims) row[j] = (rng.chance(0.5) ? 1 : -1) * rng.range(6, 10);
    rows.push(row);
    labels.push(true);
  }
  return { rows, labels };
}

function auc(scores: number[], labels: boolean[]): number {
  const pos = scores.filter((_, i) => labels[i]);
  const neg = scores.filter((_, i) => !labels[i]);
  let wins = 0;
  for (const p of pos) for (const q of neg) wins += p > q ? 1 : p === q ? 0.5 : 0;
  return wins / (pos.length * neg.length);
}

describe("averagePathLength c(n)", () => {
  it("matches the paper's formula with H(i) ≈ ln(i) + γ", () => {
    expect(averagePathLength(0)).toBe(0);
    expect(averagePathLength(1)).toBe(0);
    expect(averagePathLength(2)).toBe(1);
    // c(3) = 2H(2) − 4/3 = 2(ln 2 + γ) − 4/3
    expect(averagePathLength(3)).toBeCloseTo(2 * (Math.LN2 + 0.5772156649) - 4 / 3, 12);
    expect(averagePathLength(3)).toBeCloseTo(1.207392, 5);
    // c(256) = 2(ln 255 + γ) − 510/256 ≈ 10.2448 (the paper's default ψ)
    expect(averagePathLength(256)).toBeCloseTo(2 * H(255) - 510 / 256, 12);
    expect(averagePathLength(256)).toBeCloseTo(10.2448, 4);
    expect(averagePathLength(10)).toBeCloseTo(2 * H(9) - 18 / 10, 12);
  });
});

describe("Isolation Forest", () => {
  const { rows, labels } = plantedData(1, 3000, 40, 8);
  const names = Array.from({ length: 8 }, (_, i) => `x${i}`);
  const model = trainForest(rows, names, { seed: 7 });
  const forest = compileForest(model);

  it("produces a model that validates and has the paper's defaults", () => {
    expect(ForestModelSchema.safeParse(model).success).toBe(true);
    expect(model.trees).toHaveLength(100);
    expect(model.trained).toMatchObject({ seed: 7, trees: 100, subsample_size: 256, height_limit: 8, rows: 3040 });
    for (const tree of model.trees) {
      const leafRows = tree.n.reduce((a, b) => a + b, 0);
      expect(leafRows).toBe(256);
    }
    expect(forest.normaliser).toBeCloseTo(averagePathLength(256), 12);
  });

  it("ranks planted outliers far above the inliers", () => {
    const scores = rows.map((r) => forest.score(r));
    expect(auc(scores, labels)).toBeGreaterThan(0.95);
    const cut = [...scores].sort((a, b) => b - a)[Math.floor(scores.length * 0.05)]!;
    const outlierScores = scores.filter((_, i) => labels[i]);
    const inlierScores = scores.filter((_, i) => !labels[i]);
    const caught = outlierScores.filter((s) => s > cut).length;
    expect(caught / outlierScores.length).toBeGreaterThan(0.9);
    const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
    expect(median(inlierScores)).toBeGreaterThan(0.35);
    expect(median(inlierScores)).toBeLessThan(0.5);
    expect(median(outlierScores)).toBeGreaterThan(0.6);
    for (const s of scores) expect(s > 0 && s <= 1).toBe(true);
  });

  it("is deterministic for a seed and differs across seeds", () => {
    const again = trainForest(rows, names, { seed: 7 });
    expect(JSON.stringify(again)).toBe(JSON.stringify(model));
    const other = trainForest(rows, names, { seed: 8 });
    expect(JSON.stringify(other)).not.toBe(JSON.stringify(model));
  });

  it("takes row-major data the same as an array of rows", () => {
    const flat = new Float64Array(rows.length * 8);
    rows.forEach((r, i) => flat.set(r, i * 8));
    expect(JSON.stringify(trainForest(flat, names, { seed: 7 }))).toBe(JSON.stringify(model));
  });

  it("round-trips through JSON with identical scores", () => {
    const reloaded = compileForest(JSON.parse(JSON.stringify(model)));
    for (let i = 0; i < rows.length; i += 17) expect(reloaded.score(rows[i]!)).toBe(forest.score(rows[i]!));
    expect(reloaded.modelVersion).toBe(model.model_version);
    expect(reloaded.featureNames).toEqual(names);
  });

  it("explains a point extreme on one feature by that feature", () => {
    for (const k of [0, 3, 7]) {
      const x = new Float64Array(8);
      x[k] = 9;
      const top = forest.explain(x, 3);
      expect(top[0]).toMatchObject({ feature: `x${k}`, index: k });
      expect(top[0]!.weight).toBeGreaterThan(0.4);
      expect(top[0]!.weight).toBeGreaterThan(3 * top[1]!.weight);
      const total = forest.explain(x, 8).reduce((a, c) => a + c.weight, 0);
      expect(total).toBeCloseTo(1, 9);
    }
    const two = new Float64Array(8);
    two[1] = 7;
    two[5] = -7;
    expect(new Set(forest.explain(two, 2).map((c) => c.feature))).toEqual(new Set(["x1", "x5"]));
    expect(forest.explain(new Float64Array(8), 3).length).toBeLessThanOrEqual(3);
  });

  it("returns the top credits in (weight desc, index asc) order: every shorter answer is a prefix of the full one", () => {
    const rng = createRng(5);
    for (let n = 0; n < 300; n++) {
      // Integer-valued points make equal credits (ties) common.
      const x = Float64Array.from({ length: 8 }, () => (rng.chance(0.3) ? rng.int(9) - 4 : rng.normal(0, 2)));
      const all = forest.explain(x, 8);
      for (let i = 1; i < all.length; i++) {
        const a = all[i - 1]!, b = all[i]!;
        expect(a.weight > b.weight || (a.weight === b.weight && a.index < b.index)).toBe(true);
      }
      expect(new Set(all.map((c) => c.index)).size).toBe(all.length);
      for (const k of [0, 1, 3]) expect(forest.explain(x, k)).toEqual(all.slice(0, k));
    }
  });

  it("calibrates scores against the training reference", () => {
    const ref = model.score_reference;
    expect(ref.rows).toBe(3040);
    const qs = ref.quantiles.map(([, s]) => s);
    expect([...qs].sort((a, b) => a - b)).toEqual(qs);
    expect(forest.percentile(0)).toBe(0);
    expect(forest.percentile(1)).toBe(1);
    const median = ref.quantiles.find(([q]) => q === 0.5)![1];
    expect(forest.percentile(median)).toBeCloseTo(0.5, 6);
    const typical = forest.score(new Float64Array(8));
    expect(forest.percentile(typical)).toBeLessThan(0.5);
  });

  it("refuses malformed models and inputs with a clear error", () => {
    const bad = JSON.parse(JSON.stringify(model)) as { trees: { l: number[] }[] };
    bad.trees[0]!.l[0] = 0; // a node pointing at itself
    expect(() => compileForest(bad)).toThrow(/child index/);
    expect(() => compileForest({ ...model, format_version: 2 })).toThrow();
    expect(() => compileForest({ ...model, feature_names: ["x0"] })).toThrow(/feature index/);
    expect(() => forest.score(new Float64Array(3))).toThrow(RangeError);
    expect(() => trainForest([Float64Array.of(1, NaN), Float64Array.of(0, 1)], ["a", "b"], { seed: 1 })).toThrow(/non-finite/);
  });

  it("handles duplicate rows and tiny data sets", () => {
    const same = Array.from({ length: 50 }, () => Float64Array.of(1, 2));
    const m = trainForest(same, ["a", "b"], { seed: 1, trees: 5 });
    const f = compileForest(m);
    // all rows identical: every tree is one leaf of 50 → h = c(50), s = 2^(−c(50)/c(50)) = 0.5
    expect(f.score(Float64Array.of(1, 2))).toBeCloseTo(0.5, 12);
    const tiny = trainForest([Float64Array.of(0), Float64Array.of(1), Float64Array.of(10)], ["a"], { seed: 1 });
    expect(tiny.trained.subsample_size).toBe(3);
  });
});

describe("split space", () => {
  it("draws splits in signed-log space, stores raw thresholds, and isolates heavy-tail outliers better", () => {
    const rng = createRng(5);
    const rows: Float64Array[] = [];
    const labels: boolean[] = [];
    // Log-normal amounts (heavy tail) with a planted group at an unusual but not extreme level.
    for (let i = 0; i < 3000; i++) {
      rows.push(Float64Array.of(rng.logNormal(3, 1), rng.logNormal(1, 0.8), -rng.logNormal(0, 1)));
      labels.push(false);
    }
    for (let i = 0; i < 30; i++) {
      rows.push(Float64Array.of(rng.logNormal(3, 0.2), rng.logNormal(1, 0.2), -rng.logNormal(0, 0.1) * 0.001));
      labels.push(true);
    }
    const names = ["a", "b", "c"];
    const logModel = trainForest(rows, names, { seed: 3, splitSpace: ["signed_log", "signed_log", "signed_log"] });
    expect(logModel.trained.split_space).toEqual(["signed_log", "signed_log", "signed_log"]);
    const linear = compileForest(trainForest(rows, names, { seed: 3 }));
    const logged = compileForest(logModel);
    const aucOf = (f: typeof linear) => auc(rows.map((r) => f.score(r)), labels);
    expect(aucOf(logged)).toBeGreaterThan(aucOf(linear));
    // every leaf count still adds up: routing with raw thresholds matches training's partition
    for (const tree of logModel.trees) expect(tree.n.reduce((a, b) => a + b, 0)).toBe(256);
    for (const tree of logModel.trees) {
      tree.f.forEach((f, i) => {
        if (f >= 0) expect(Number.isFinite(tree.t[i]!)).toBe(true);
      });
    }
  });
});
