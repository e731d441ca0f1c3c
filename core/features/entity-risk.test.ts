import { describe, expect, it } from "vitest";
import { DAY_MS } from "../window/card-window.js";
import { EntityRiskAccumulator, smoothedRate } from "./entity-risk.js";

const T = Date.UTC(2018, 7, 8, 12, 0, 0);

describe("entity risk: matured labels over [T − D − w, T − D)", () => {
  // Added out of order on purpose: the label job receives labels in any order.
  const acc = new EntityRiskAccumulator({ priorRate: 0.1, priorStrength: 10 });
  const D = 7 * DAY_MS;
  const add = (offset: number, fraud: boolean) => acc.add("t1", T - offset, fraud);
  add(D - 1, true); // younger than the delay: not matured at T
  add(D, true); // exactly D old: the window end is exclusive, so it counts from T + 1 ms
  add(D + 1, true); // the newest transaction counted at T
  add(8 * DAY_MS, false); // 1-day window starts at T − 8 days (inclusive)
  add(8 * DAY_MS + 1, true); // just outside the 1-day window: 7 and 30 days
  add(14 * DAY_MS, false); // start of the 7-day window
  add(14 * DAY_MS + 1, true); // 30 days only
  add(37 * DAY_MS, false); // start of the 30-day window
  add(37 * DAY_MS + 1, true); // older than every window
  acc.add("t2", T - 10 * DAY_MS, true);

  it("counts each window on a hand-built example", () => {
    const s = acc.query("t1", T);
    expect([s.tx_1d, s.fraud_1d, s.tx_7d, s.fraud_7d, s.tx_30d, s.fraud_30d]).toEqual([2, 1, 4, 2, 6, 3]);
    expect(s.rate_1d).toBeCloseTo((1 + 1) / (2 + 10), 12);
    expect(s.rate_7d).toBeCloseTo((2 + 1) / (4 + 10), 12);
    expect(s.rate_30d).toBeCloseTo((3 + 1) / (6 + 10), 12);
  });

  it("a label that matures after T is not counted; one ms later it is", () => {
    expect(acc.query("t1", T).fraud_1d).toBe(1);
    expect(acc.query("t1", T + 1).fraud_1d).toBe(2);
    expect(acc.query("t1", T + 1).tx_1d).toBe(2); // the T − 8 d transaction left the window
  });

  it("keeps entities apart and gives an unknown entity zero counts at the prior", () => {
    expect(acc.query("t2", T).fraud_7d).toBe(1);
    expect(acc.has("nope")).toBe(false);
    expect(acc.query("nope", T)).toEqual({ tx_1d: 0, fraud_1d: 0, rate_1d: 0.1, tx_7d: 0, fraud_7d: 0, rate_7d: 0.1, tx_30d: 0, fraud_30d: 0, rate_30d: 0.1 });
  });

  it("honours a configured delay and validates options", () => {
    const a = new EntityRiskAccumulator({ labelDelayMs: 0 });
    a.add("x", T - 1, true);
    expect(a.query("x", T).fraud_1d).toBe(1);
    expect(a.query("x", T - 1).fraud_1d).toBe(0);
    expect(() => new EntityRiskAccumulator({ priorRate: 2 })).toThrow(/priorRate/);
    expect(smoothedRate(0, 0, 0.2, 0)).toBe(0.2);
  });

  it("agrees with a brute-force count on random data", () => {
    const a = new EntityRiskAccumulator({ priorRate: 0.05, priorStrength: 3 });
    const rows: Array<{ e: string; t: number; f: boolean }> = [];
    let seed = 12345;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 2000; i++) {
      const r = { e: `e${Math.floor(rnd() * 5)}`, t: T - Math.floor(rnd() * 60 * DAY_MS), f: rnd() < 0.2 };
      rows.push(r);
      a.add(r.e, r.t, r.f);
    }
    for (const q of [T, T - 3 * DAY_MS + 17, T - 20 * DAY_MS]) {
      for (const e of ["e0", "e3"]) {
        const s = a.query(e, q);
        [1, 7, 30].forEach((w, wi) => {
          const inW = rows.filter((r) => r.e === e && r.t >= q - 7 * DAY_MS - w * DAY_MS && r.t < q - 7 * DAY_MS);
          const got = [[s.tx_1d, s.fraud_1d], [s.tx_7d, s.fraud_7d], [s.tx_30d, s.fraud_30d]][wi]!;
          expect(got).toEqual([inW.length, inW.filter((r) => r.f).length]);
        });
      }
    }
  });
});
