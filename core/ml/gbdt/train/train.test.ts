import { describe, expect, it } from "vitest";
import { compileGbdt } from "../compiled.js";
import { GbdtModelSchema } from "../model.js";
import { PLANTED, plantedDataset } from "../../../testing/gbdt-planted.js";
import { aucRoc, logLoss } from "./metrics.js";
import { trainGbdt, type GbdtTrainOptions } from "./train.js";
import type { GbdtDataset } from "./data.js";

const base: GbdtTrainOptions = {
  seed: 7,
  modelVersion: "gbdt-test",
  featureLayout: "test:10",
  window: { from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z" },
  labelDelayDays: 30,
  rounds: 120,
};

function compiledScores(json: string, d: GbdtDataset): Float64Array {
  const g = compileGbdt(JSON.parse(json));
  const out = new Float64Array(d.rows);
  for (let i = 0; i < d.rows; i++) out[i] = g.score(d.x.subarray(i * d.cols, (i + 1) * d.cols) as Float64Array);
  return out;
}

describe("trainGbdt", () => {
  const train = plantedDataset({ rows: 12000, cols: 10, seed: 1 });
  const valid = plantedDataset({ rows: 4000, cols: 10, seed: 2 });
  const result = trainGbdt(train, valid, base);

  it("learns a planted interaction and beats a constant", () => {
    const m = result.model;
    expect(GbdtModelSchema.safeParse(m).success).toBe(true);
    expect(m.validation.auc_roc).toBeGreaterThan(0.95);
    // A constant at the validation base rate: its log-loss is the entropy of the labels.
    let pos = 0;
    for (const v of valid.y) pos += v;
    const rate = pos / valid.rows;
    const constant = logLoss(new Float64Array(valid.rows).fill(Math.log(rate / (1 - rate))), valid.y);
    expect(m.validation.logloss).toBeLessThan(constant * 0.5);
    // The planted features carry the model.
    const used = new Set(m.trees.flatMap((t) => t.f.filter((f) => f >= 0)));
    expect(used.has(PLANTED.a) && used.has(PLANTED.b)).toBe(true);
  });

  it("writes a file whose compiled scores reproduce the validation metrics", () => {
    const scores = compiledScores(result.json, valid);
    expect(aucRoc(scores, valid.y)).toBeCloseTo(result.model.validation.auc_roc, 8);
    for (const s of scores) expect(s >= 0 && s <= 100).toBe(true);
  });

  it("is reproducible: same data and seed give the same bytes, with subsampling", () => {
    const opts = { ...base, rounds: 25, subsample: 0.7, colsample: 0.6 };
    const a = trainGbdt(train, valid, opts).json;
    const b = trainGbdt(train, valid, opts).json;
    expect(a).toBe(b);
    expect(trainGbdt(train, valid, { ...opts, seed: 8 }).json).not.toBe(a);
  });

  it("stops early on a noisy target and keeps the best round", () => {
    const noisyTrain = plantedDataset({ rows: 6000, cols: 10, seed: 3, labelNoise: 0.9 });
    const noisyValid = plantedDataset({ rows: 3000, cols: 10, seed: 4, labelNoise: 0.9 });
    const r = trainGbdt(noisyTrain, noisyValid, { ...base, rounds: 300, learningRate: 0.3, earlyStopping: { metric: "logloss", patience: 10 } });
    const p = r.model.params;
    expect(p.rounds_grown).toBeLessThan(300);
    expect(p.rounds_grown).toBe(p.best_round + 10);
    expect(r.model.trees).toHaveLength(p.best_round);
    const bestLoss = Math.min(...r.history.map((h) => h.validLogLoss));
    expect(r.history[p.best_round - 1]!.validLogLoss).toBe(bestLoss);
  });

  it("stops on validation AUC when asked", () => {
    const r = trainGbdt(train, valid, { ...base, rounds: 400, learningRate: 0.3, earlyStopping: { metric: "auc", patience: 5 } });
    expect(r.model.params.rounds_grown).toBeLessThan(400);
    expect(r.history.every((h) => h.validAuc !== undefined)).toBe(true);
  });

  it("handles NaN: learns from missingness and stays accurate with missing values", () => {
    const tr = plantedDataset({ rows: 6000, cols: 10, seed: 5, missingIsSignal: true });
    const va = plantedDataset({ rows: 3000, cols: 10, seed: 6, missingIsSignal: true });
    const r = trainGbdt(tr, va, { ...base, rounds: 30 });
    expect(r.model.validation.auc_roc).toBeGreaterThan(0.9);
    // The root splits on the planted feature and sends NaN to the fraud side.
    const t0 = r.model.trees[0]!;
    expect(t0.f[0]).toBe(PLANTED.a);

    const trN = plantedDataset({ rows: 12000, cols: 10, seed: 1, nanRate: 0.1 });
    const vaN = plantedDataset({ rows: 4000, cols: 10, seed: 2, nanRate: 0.1 });
    const rN = trainGbdt(trN, vaN, base);
    expect(rN.model.validation.auc_roc).toBeGreaterThan(0.85);
    expect(rN.model.trees.some((t) => t.m.some((m, i) => t.f[i]! >= 0 && m === 0))).toBe(true);
    expect(aucRoc(compiledScores(rN.json, vaN), vaN.y)).toBeCloseTo(rN.model.validation.auc_roc, 8);
  });

  it("explains trained predictions exactly (TreeSHAP local accuracy)", () => {
    const g = compileGbdt(result.model);
    const out = new Float64Array(11);
    for (let i = 0; i < 50; i++) {
      const x = valid.x.subarray(i * 10, (i + 1) * 10) as Float64Array;
      g.contributions(x, out);
      const sum = out.reduce((a, b) => a + b, 0);
      expect(Math.abs(sum - g.predictMargin(x))).toBeLessThan(1e-9);
    }
  });

  it("trains on Float32Array features the same way it trains on their Float64 copies", () => {
    const tr32 = { ...train, x: Float32Array.from(train.x) };
    const va32 = { ...valid, x: Float32Array.from(valid.x) };
    const opts = { ...base, rounds: 15 };
    const a = trainGbdt(tr32, va32, opts).json;
    const b = trainGbdt({ ...train, x: Float64Array.from(tr32.x) }, { ...valid, x: Float64Array.from(va32.x) }, opts).json;
    expect(a).toBe(b);
  });

  it("reports card precision@100 when card ids are given", () => {
    const cardIds = Uint32Array.from({ length: valid.rows }, (_, i) => i % 500);
    const r = trainGbdt(train, { ...valid, cardIds }, { ...base, rounds: 10 });
    expect(r.model.validation.card_precision_at_100).toBeGreaterThan(0.9);
  });

  it("rejects inconsistent inputs", () => {
    expect(() => trainGbdt({ ...train, y: new Uint8Array(train.rows) }, valid, base)).toThrow(/positive and negative/);
    expect(() => trainGbdt({ ...train, rows: train.rows + 1 }, valid, base)).toThrow(/rows × cols/);
  });
});
