import { describe, expect, it } from "vitest";
import { createRng } from "../random.js";
import { generateHandbookDataset } from "../sim/handbook/index.js";
import { BASELINE_FEATURES, baselineFeatures, fitLogistic, predictLogistic, runHandbookBaseline } from "./handbook-baseline.js";

const NF = BASELINE_FEATURES.length;
const ds = generateHandbookDataset({ seed: 2, nCustomers: 300, nTerminals: 600, nbDays: 50, radius: 10 });

describe("handbook baseline features", () => {
  it("match a brute-force reading of the handbook's rolling windows", () => {
    const { tx } = ds;
    const rows = Int32Array.from({ length: 200 }, (_, k) => Math.floor(((k + 0.5) / 200) * tx.length));
    const f = baselineFeatures(ds, rows);
    rows.forEach((i, k) => {
      const t = tx.timeSeconds[i]!;
      const got = f.subarray(k * NF, (k + 1) * NF);
      const ms = ds.startMs + t * 1000;
      expect(got[0]).toBe(tx.amount[i]);
      expect(got[1]).toBe([0, 6].includes(new Date(ms).getUTCDay()) ? 1 : 0);
      expect(got[2]).toBe(new Date(ms).getUTCHours() <= 6 ? 1 : 0);
      [1, 7, 30].forEach((w, wi) => {
        // Customer: rows up to and including i, of the same customer, in (t − w days, t].
        let n = 0;
        let sum = 0;
        for (let j = 0; j <= i; j++) {
          if (tx.customerId[j] === tx.customerId[i] && tx.timeSeconds[j]! > t - w * 86400) {
            n++;
            sum += tx.amount[j]!;
          }
        }
        expect(got[3 + 2 * wi]).toBe(n);
        expect(got[4 + 2 * wi]).toBeCloseTo(sum / n, 9);
        // Terminal: (t − 7 − w days, t − 7 days], risk = frauds / count or 0.
        let m = 0;
        let fr = 0;
        for (let j = 0; j < i; j++) {
          const tj = tx.timeSeconds[j]!;
          if (tx.terminalId[j] === tx.terminalId[i] && tj > t - (7 + w) * 86400 && tj <= t - 7 * 86400) {
            m++;
            fr += tx.fraud[j]!;
          }
        }
        expect(got[9 + 2 * wi]).toBe(m);
        expect(got[10 + 2 * wi]).toBeCloseTo(m === 0 ? 0 : fr / m, 12);
      });
    });
  });
});

describe("logistic regression (Newton, L2 C = 1)", () => {
  it("reaches the stationary point of sklearn's objective and is deterministic", () => {
    const rng = createRng(9);
    const n = 3000;
    const x = new Float64Array(n * 2);
    const y = new Uint8Array(n);
    for (let r = 0; r < n; r++) {
      x[r * 2] = rng.normal();
      x[r * 2 + 1] = rng.normal();
      y[r] = rng.chance(1 / (1 + Math.exp(-(1.5 * x[r * 2]! - 0.5 * x[r * 2 + 1]! - 2)))) ? 1 : 0;
    }
    const m = fitLogistic(x, y, 2);
    // Gradient of Σ logloss + ½‖w‖² (intercept unpenalised) vanishes at the optimum.
    const p = predictLogistic(m, x, 2);
    const g = [m.coef[0]!, m.coef[1]!, 0];
    for (let r = 0; r < n; r++) {
      const e = p[r]! - y[r]!;
      g[0]! += e * x[r * 2]!;
      g[1]! += e * x[r * 2 + 1]!;
      g[2]! += e;
    }
    for (const v of g) expect(Math.abs(v)).toBeLessThan(1e-6);
    expect(m.coef[0]).toBeGreaterThan(1.2);
    expect(m.coef[2]).toBeLessThan(-1.5);
    expect([...fitLogistic(x, y, 2).coef]).toEqual([...m.coef]);
  });

  it("the baseline experiment runs end to end on a small world and beats chance", () => {
    const small = generateHandbookDataset({ seed: 4, nCustomers: 1000, nTerminals: 2000, nbDays: 60, startDate: "2018-06-01", radius: 7 });
    const r = runHandbookBaseline(small, { startTraining: "2018-07-05" });
    expect(r.trainFrauds).toBeGreaterThan(10);
    expect(r.auc).toBeGreaterThan(0.7);
    expect(r.averagePrecision).toBeGreaterThan(0.2);
    expect(r.cardPrecision100).toBeGreaterThan(0);
  });
});
