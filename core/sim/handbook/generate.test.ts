import { describe, expect, it } from "vitest";
import { createRng } from "../../random.js";
import { generateHandbookDataset, handbookRow, parseHandbookParams, poisson, summarize, type HandbookDataset } from "./index.js";

// A small world: 500 customers, 1000 terminals, 60 days (~58k transactions, well under a second).
const SMALL = { seed: 7, nCustomers: 500, nTerminals: 1000, nbDays: 60, radius: 10 } as const;
const small = generateHandbookDataset(SMALL);

function steadyShare(ds: HandbookDataset, scenario: number, fromDay: number, toDay: number): number {
  let n = 0;
  let hit = 0;
  for (let i = 0; i < ds.tx.length; i++) {
    const d = ds.tx.day[i]!;
    if (d < fromDay || d >= toDay) continue;
    n++;
    if (ds.tx.scenario[i] === scenario) hit++;
  }
  return hit / n;
}

describe("handbook parameters", () => {
  it("defaults are the handbook's published constants", () => {
    const p = parseHandbookParams();
    expect(p).toMatchObject({ nCustomers: 5000, nTerminals: 10000, nbDays: 183, startDate: "2018-04-01", radius: 5, scenario1AmountThreshold: 220, scenario2TerminalsPerDay: 2, scenario2Days: 28, scenario3CustomersPerDay: 3, scenario3Days: 14, scenario3ShareDivisor: 3, scenario3AmountMultiplier: 5, timeOfDayMeanSeconds: 43200, timeOfDayStdSeconds: 20000 });
  });

  it("errors name the offending field", () => {
    expect(() => parseHandbookParams({ nCustomers: -1 })).toThrow(/nCustomers/);
    expect(() => parseHandbookParams({ radius: "5" })).toThrow(/radius/);
    expect(() => parseHandbookParams({ nTerminal: 10 })).toThrow(/nTerminal/);
    expect(() => parseHandbookParams({ meanAmountMin: 50, meanAmountMax: 10 })).toThrow(/meanAmountMax/);
    expect(() => parseHandbookParams({ startDate: "2018-02-31" })).toThrow(/startDate/);
    expect(() => generateHandbookDataset(SMALL, { days: 61 })).toThrow(/days/);
  });
});

describe("handbook generator", () => {
  it("is deterministic: same seed, same rows; another seed, other rows", () => {
    const again = generateHandbookDataset(SMALL);
    expect(again.tx.length).toBe(small.tx.length);
    expect(Buffer.from(again.tx.amount.buffer).equals(Buffer.from(small.tx.amount.buffer))).toBe(true);
    expect(Buffer.from(again.tx.timeSeconds.buffer).equals(Buffer.from(small.tx.timeSeconds.buffer))).toBe(true);
    expect(Buffer.from(again.tx.terminalId.buffer).equals(Buffer.from(small.tx.terminalId.buffer))).toBe(true);
    expect(Buffer.from(again.tx.scenario).equals(Buffer.from(small.tx.scenario))).toBe(true);
    const other = generateHandbookDataset({ ...SMALL, seed: 8 });
    expect(other.tx.length).not.toBe(small.tx.length);
  });

  it("rows are chronological, in range, on terminals within reach of their customer", () => {
    const { tx, customers, terminals } = small;
    for (let i = 0; i < tx.length; i++) {
      if (i > 0) expect(tx.timeSeconds[i]!).toBeGreaterThanOrEqual(tx.timeSeconds[i - 1]!);
      const sod = tx.timeSeconds[i]! - tx.day[i]! * 86400;
      if (!(sod > 0 && sod < 86400 && tx.day[i]! < 60 && tx.amount[i]! >= 0)) throw new Error(`row ${i} out of range`);
      const c = tx.customerId[i]!;
      const t = tx.terminalId[i]!;
      if (Math.hypot(customers.x[c]! - terminals.x[t]!, customers.y[c]! - terminals.y[t]!) >= SMALL.radius) throw new Error(`row ${i}: terminal out of reach`);
    }
    const r = handbookRow(small, 0);
    expect(r.TX_DATETIME).toBe(Date.UTC(2018, 3, 1) + r.TX_TIME_SECONDS * 1000);
  });

  it("daily volume follows Poisson(U(0,4)) less the ~3% of times outside the day", () => {
    // 500 customers × mean 2 tx/day × P(0 < N(43200, 20000) < 86400) ≈ 0.969.
    const perDay = small.tx.length / 60;
    expect(perDay).toBeGreaterThan(500 * 2 * 0.969 * 0.85);
    expect(perDay).toBeLessThan(500 * 2 * 0.969 * 1.15);
    const rng = createRng(1);
    let sum = 0;
    for (let i = 0; i < 20000; i++) sum += poisson(rng, 2.5);
    expect(sum / 20000).toBeCloseTo(2.5, 1);
  });

  it("scenario 1: an amount above 220 is a fraud unless scenario 3 relabelled it; scenario-1 frauds are above 220", () => {
    for (let i = 0; i < small.tx.length; i++) {
      const s = small.tx.scenario[i]!;
      if (s === 1 && !(small.tx.amount[i]! > 220)) throw new Error(`row ${i}: scenario 1 at ${small.tx.amount[i]}`);
      if (s === 0 && small.tx.amount[i]! > 220) throw new Error(`row ${i}: ${small.tx.amount[i]} not marked`);
      if ((s === 0) !== (small.tx.fraud[i] === 0)) throw new Error(`row ${i}: label and scenario disagree`);
    }
  });

  it("scenario 2: frauds fall inside a 28-day window of their terminal, and the windows are fully marked", () => {
    const { tx, draws } = small;
    expect(draws.terminalsByDay).toHaveLength(59); // range(TX_TIME_DAYS.max()): no draw on the last day
    const inWindow = (t: number, day: number) => draws.terminalsByDay.some((ts, d) => day >= d && day < d + 28 && ts.includes(t));
    for (let i = 0; i < tx.length; i++) {
      const hit = inWindow(tx.terminalId[i]!, tx.day[i]!);
      if (tx.scenario[i] === 2 && !hit) throw new Error(`row ${i}: scenario 2 outside any window`);
      if (hit && tx.fraud[i] !== 1) throw new Error(`row ${i}: compromised terminal, not marked`);
    }
  });

  it("scenario 3: frauds belong to a customer compromised in the last 14 days, ~1/3 of their transactions", () => {
    const { tx, draws } = small;
    for (let i = 0; i < tx.length; i++) {
      if (tx.scenario[i] !== 3) continue;
      const ok = draws.customersByDay.some((cs, d) => tx.day[i]! >= d && tx.day[i]! < d + 14 && cs.includes(tx.customerId[i]!));
      if (!ok) throw new Error(`row ${i}: scenario 3 outside any window`);
    }
    // Expected steady-state shares (days 28+): P(terminal compromised) = 1 − (1 − 2/1000)^28,
    // P(customer compromised) / 3 with P = 1 − (1 − 3/500)^14.
    const s2 = 1 - (1 - 2 / 1000) ** 28;
    const s3 = (1 - (1 - 3 / 500) ** 14) / 3;
    expect(steadyShare(small, 2, 28, 59)).toBeGreaterThan(s2 * 0.6);
    expect(steadyShare(small, 2, 28, 59)).toBeLessThan(s2 * 1.4);
    expect(steadyShare(small, 3, 28, 59)).toBeGreaterThan(s3 * 0.6);
    expect(steadyShare(small, 3, 28, 59)).toBeLessThan(s3 * 1.4);
  });

  it("at the handbook's density (5000 customers, 10000 terminals) the rates match its figures", () => {
    const ds = generateHandbookDataset({ seed: 3, nbDays: 183 }, { days: 40 });
    const s = summarize(ds);
    // Handbook: ~9,600 transactions a day, ~80–100 terminals in reach, fraud ~0.8% once steady.
    expect(s.transactions / 40).toBeGreaterThan(9000);
    expect(s.transactions / 40).toBeLessThan(10300);
    expect(s.meanTerminalsPerCustomer).toBeGreaterThan(65);
    expect(s.meanTerminalsPerCustomer).toBeLessThan(85);
    const steady = 1 - steadyShare(ds, 0, 28, 40);
    expect(steady).toBeGreaterThan(0.005);
    expect(steady).toBeLessThan(0.013);
  });

  it("generating fewer days gives the prefix of the full dataset (up to scenario 3 near the cut)", () => {
    const part = generateHandbookDataset(SMALL, { days: 30 });
    const n = part.tx.length;
    expect(Buffer.from(part.tx.timeSeconds.buffer).equals(Buffer.from(small.tx.timeSeconds.subarray(0, n).slice().buffer))).toBe(true);
    for (let i = 0; i < n; i++) {
      if (part.tx.day[i]! >= 30 - 14) break;
      if (part.tx.fraud[i] !== small.tx.fraud[i] || part.tx.amount[i] !== small.tx.amount[i]) throw new Error(`row ${i} differs`);
    }
  });
});
