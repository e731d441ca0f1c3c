import { describe, expect, it } from "vitest";
import { generateHandbookDataset } from "../sim/handbook/index.js";
import { handbookSource } from "./handbook-baseline.js";
import { DAY_MS, dayOf, eventSource, parseProtocolOptions, protocolEndMs, trainTestSplit, type ProtocolSource } from "./protocol.js";

interface Tx { ms: number; card: string; fraud: boolean }
const at = (date: string, h = 12) => Date.parse(`${date}T${String(h).padStart(2, "0")}:00:00Z`);
const source = (txs: Tx[]): ProtocolSource => ({ length: txs.length, timeMs: (i) => txs[i]!.ms, card: (i) => txs[i]!.card, fraud: (i) => txs[i]!.fraud });

describe("handbook train / delay / test protocol", () => {
  it("defaults: train 2018-07-25..07-31, delay 08-01..08-07, test 08-08..08-14", () => {
    const o = parseProtocolOptions();
    expect(o).toEqual({ startTraining: "2018-07-25", deltaTrain: 7, deltaDelay: 7, deltaTest: 7 });
    expect(protocolEndMs()).toBe(Date.UTC(2018, 7, 15));
    expect(() => parseProtocolOptions({ deltaTest: 0 })).toThrow(/deltaTest/);
    expect(() => parseProtocolOptions({ startTraining: "2018-07-32" })).toThrow(/startTraining/);
  });

  it("splits on UTC days and removes cards known compromised, with the handbook's delay rule", () => {
    const txs: Tx[] = [
      { ms: at("2018-07-24", 23), card: "old", fraud: false }, // before training
      { ms: at("2018-07-25", 0), card: "t1", fraud: true }, // training, fraud → known from the start
      { ms: at("2018-07-31", 23), card: "t2", fraud: false }, // last training second
      { ms: at("2018-08-01"), card: "d0", fraud: true }, // delay day 0 → known from test day 1
      { ms: at("2018-08-06"), card: "d5", fraud: true }, // delay day 5 → known from test day 6
      { ms: at("2018-08-07"), card: "d6", fraud: true }, // delay day 6 → never known within the test
      { ms: at("2018-08-07"), card: "delay", fraud: false }, // delay: in neither set
      { ms: at("2018-08-08"), card: "t1", fraud: false }, // test day 0: t1 known → removed
      { ms: at("2018-08-08"), card: "d0", fraud: true }, // test day 0: d0 not yet known → kept
      { ms: at("2018-08-09"), card: "d0", fraud: false }, // test day 1: d0 known → removed
      { ms: at("2018-08-13"), card: "d5", fraud: false }, // test day 5: d5 not yet known → kept
      { ms: at("2018-08-14"), card: "d5", fraud: false }, // test day 6: d5 known → removed
      { ms: at("2018-08-14", 23), card: "d6", fraud: true }, // test day 6: kept
      { ms: at("2018-08-15", 0), card: "new", fraud: false }, // after the test week
    ];
    const r = trainTestSplit(source(txs));
    expect([...r.train]).toEqual([1, 2]);
    expect([...r.test]).toEqual([8, 10, 12]);
    expect([...r.testDay].map((d) => new Date(d * DAY_MS).toISOString().slice(0, 10))).toEqual(["2018-08-08", "2018-08-13", "2018-08-14"]);
    expect(r.removed).toBe(3);
    expect(r.trainFrom).toBe(dayOf(Date.UTC(2018, 6, 25)));
    expect(r.testFrom - r.trainFrom).toBe(14);
  });

  it("on generated data: no test transaction of a card with a fraud known before day − delay", () => {
    const ds = generateHandbookDataset({ seed: 5, nCustomers: 800, nTerminals: 1600, startDate: "2018-07-01", nbDays: 40 });
    const opts = { startTraining: "2018-07-10", deltaTrain: 5, deltaDelay: 3, deltaTest: 6 };
    const src = handbookSource(ds);
    const r = trainTestSplit(src, opts);
    expect(r.train.length).toBeGreaterThan(0);
    expect(r.test.length).toBeGreaterThan(0);
    const fraudDays = new Map<number, number[]>();
    for (let i = 0; i < src.length; i++) {
      if (!src.fraud(i)) continue;
      const c = src.card(i) as number;
      fraudDays.set(c, [...(fraudDays.get(c) ?? []), dayOf(src.timeMs(i))]);
    }
    for (let k = 0; k < r.test.length; k++) {
      const day = r.testDay[k]!;
      expect(dayOf(src.timeMs(r.test[k]!))).toBe(day);
      // Known = frauds from the training start up to test day − delay − 1.
      const known = (fraudDays.get(src.card(r.test[k]!) as number) ?? []).some((d) => d >= r.trainFrom && d <= day - opts.deltaDelay - 1);
      if (known) throw new Error(`test row ${r.test[k]} belongs to a known-compromised card`);
    }
    for (const i of r.train) expect(dayOf(src.timeMs(i)) - r.trainFrom).toBeLessThan(5);
  });

  it("works on Vigil events with labels kept apart", () => {
    const events = [
      { transaction_id: "a", card_number_hash: "c1", timestamp_utc: "2018-07-26T10:00:00Z" },
      { transaction_id: "b", card_number_hash: "c1", timestamp_utc: "2018-08-09T10:00:00Z" },
      { transaction_id: "c", card_number_hash: "c2", timestamp_utc: "2018-08-09T11:00:00.000Z" },
    ];
    const r = trainTestSplit(eventSource(events, (id) => id === "a"));
    expect([...r.train]).toEqual([0]);
    expect([...r.test]).toEqual([2]);
  });
});
