import { describe, expect, it } from "vitest";
import { parseScoringConfig } from "../config.js";
import defaultConfig from "../default-config.json" with { type: "json" };
import { ev } from "../testing/features.js";
import { CardWindow } from "../window/card-window.js";
import { Baseline, BASELINE_WINDOW, METRICS, N_METRICS } from "./baseline.js";
import { StatTier } from "./tier.js";

const cfg = parseScoringConfig(defaultConfig);
const obs = (c1: number, c5: number, c15: number, usd1: number, usd5: number, usd15: number, amount: number) =>
  Float64Array.from([c1, c5, c15, Math.log1p(usd1), Math.log1p(usd5), Math.log1p(usd15), Math.log1p(amount)]);
const A = METRICS.indexOf("amount");

describe("Baseline", () => {
  it("keeps the last 32 observations sorted and their quartiles", () => {
    const b = new Baseline();
    for (let i = 1; i <= 40; i++) b.push(new Float64Array(N_METRICS).fill(i));
    expect(b.len).toBe(BASELINE_WINDOW);
    expect(b.n).toBe(40);
    expect(b.quantile(0, 0)).toBe(9);
    expect(b.quantile(0, 1)).toBe(40);
    expect(b.quantile(0, 0.5)).toBe(24.5);
    expect(b.history()[0]?.[0]).toBe(9);
  });

  it("mean/variance match Welford while n < 64", () => {
    const b = new Baseline();
    const xs = [1, 2, 3, 4, 10];
    for (const x of xs) b.push(new Float64Array(N_METRICS).fill(x));
    const mean = xs.reduce((a, c) => a + c, 0) / xs.length;
    expect(b.mean(0)).toBeCloseTo(mean, 12);
    expect(b.variance(0)).toBeCloseTo(xs.reduce((a, c) => a + (c - mean) ** 2, 0) / xs.length, 12);
  });

  it("restores to the same quantiles and continues identically", () => {
    const b = new Baseline();
    for (let i = 0; i < 45; i++) b.push(new Float64Array(N_METRICS).fill((i * 7919) % 31));
    const r = Baseline.restore(b.n, METRICS.map((_, m) => b.mean(m)), METRICS.map((_, m) => b.variance(m)), b.history());
    for (const q of [0.25, 0.5, 0.75]) expect(r.quantile(3, q)).toBe(b.quantile(3, q));
    const x = new Float64Array(N_METRICS).fill(99);
    b.push(x);
    r.push(x);
    for (let m = 0; m < N_METRICS; m++) {
      expect(r.sortedWindow(m)).toEqual(b.sortedWindow(m));
      expect([r.mean(m), r.variance(m)]).toEqual([b.mean(m), b.variance(m)]);
    }
    expect(r.history()).toEqual(b.history());
  });
});

describe("StatTier", () => {
  const tier = new StatTier(cfg.stats);

  it("with no history judges against the population prior: an ordinary event scores 0", () => {
    expect(tier.evaluate(obs(1, 1, 1, 40, 40, 40, 40), new Baseline()).score).toBe(0);
  });

  it("with no history, a burst still deviates from the prior", () => {
    const o = tier.evaluate(obs(6, 8, 9, 300, 400, 450, 50), new Baseline());
    expect(o.score).toBeGreaterThan(50);
    expect(o.dev[0]).toBeGreaterThan(0);
  });

  it("shrinks toward the card's own history as it grows (n / (n + k))", () => {
    const rich = new Baseline();
    for (let i = 0; i < 40; i++) rich.push(obs(1, 1, 1, 2000, 2000, 2000, 2000 + (i % 5) * 100));
    // 2,500 USD is ordinary for this card, extraordinary for the population
    expect(tier.evaluate(obs(1, 1, 1, 2500, 2500, 2500, 2500), rich).dev[A]).toBe(0);
    expect(tier.evaluate(obs(1, 1, 1, 2500, 2500, 2500, 2500), new Baseline()).dev[A]).toBeGreaterThan(0);
    const short = new Baseline();
    for (let i = 0; i < 2; i++) short.push(obs(1, 1, 1, 2000, 2000, 2000, 2000));
    // two observations only move the mean a little: still mostly the prior
    expect(tier.evaluate(obs(1, 1, 1, 2500, 2500, 2500, 2500), short).mu[A]).toBeLessThan(Math.log1p(300));
  });

  it("uses IQR fences only once the card has min_iqr_history observations", () => {
    const b = new Baseline();
    for (let i = 0; i < cfg.stats.min_iqr_history - 1; i++) b.push(obs(1, 1, 1, 30, 30, 30, 30));
    expect(tier.evaluate(obs(1, 1, 1, 30, 30, 30, 200), b).fence[A]).toBe(0);
    b.push(obs(1, 1, 1, 30, 30, 30, 30));
    expect(tier.evaluate(obs(1, 1, 1, 30, 30, 30, 200), b).fence[A]).toBeGreaterThan(cfg.stats.iqr_threshold);
  });

  it("only upward deviations count", () => {
    const b = new Baseline();
    for (let i = 0; i < 30; i++) b.push(obs(1, 1, 1, 500, 500, 500, 500));
    expect(tier.evaluate(obs(1, 1, 1, 1, 1, 1, 1), b).score).toBe(0);
  });

  it("CardWindow feeds the baseline with the observation as of each event", () => {
    const s = CardWindow.empty();
    s.apply(ev(0, { amount_usd: 10 }));
    s.apply(ev(30_000, { amount_usd: 20 }));
    expect(s.baseline.n).toBe(2);
    expect(s.baseline.history()[1]).toEqual(Array.from(obs(2, 2, 2, 30, 30, 30, 20)));
  });
});
