import { describe, expect, it } from "vitest";
import { BASE_MS, ev } from "../testing/features.js";
import type { ReferenceSignals, TransactionEvent } from "../schemas.js";
import { CardWindow, DAY_MS, HOUR_MS } from "../window/card-window.js";
import { parseEventTime } from "../window/time.js";
import { N_RULE_FEATURES, extractInto } from "./extract.js";
import { MF, MODEL_FEATURE_LAYOUT, MODEL_FEATURE_NAMES, N_MODEL_FEATURES, fillModelFeatures } from "./model-features.js";

const OK: ReferenceSignals = { status: "OK" };
const tiers = { rules: 0, stats: 0, forest: 0.5 };

function features(e: TransactionEvent, s: CardWindow, refs: ReferenceSignals = OK): Float64Array {
  const T = parseEventTime(e.timestamp_utc);
  const v = new Float64Array(N_RULE_FEATURES);
  extractInto(e, T, s, refs, v);
  return fillModelFeatures(new Float64Array(N_MODEL_FEATURES), e, T, s, refs, v, tiers);
}
const get = (x: Float64Array, name: string) => x[MF[name]!];

describe("model feature layout", () => {
  it("has unique names and a fingerprint of them", () => {
    expect(new Set(MODEL_FEATURE_NAMES).size).toBe(N_MODEL_FEATURES);
    expect(MODEL_FEATURE_LAYOUT).toMatch(/^mf1-[0-9a-f]{8}$/);
    // Pinned: a changed layout must be a deliberate change (new fingerprint, retrained models).
    expect(MODEL_FEATURE_LAYOUT).toBe("mf1-446b41fd");
    expect(MODEL_FEATURE_NAMES.slice(0, 3)).toEqual(["tx_count_1min", "tx_count_5min", "tx_count_15min"]);
  });
});

describe("model features are point in time", () => {
  it("see only earlier applied events: never the event itself, never a later one (even applied first)", () => {
    const s = CardWindow.empty();
    s.apply(ev(-2 * DAY_MS, { amount_usd: 50 }));
    s.apply(ev(-3 * HOUR_MS, { amount_usd: 70 }));
    s.apply(ev(HOUR_MS, { amount_usd: 500 })); // later than the scored event, arrived earlier
    const e = ev(0, { amount_usd: 10 });
    const x = features(e, s);
    expect([get(x, "card_tx_count_1d"), get(x, "card_avg_amount_1d")]).toEqual([1, 70]);
    expect([get(x, "card_tx_count_7d"), get(x, "card_avg_amount_7d")]).toEqual([2, 60]);
    expect([get(x, "card_tx_count_30d"), get(x, "card_avg_amount_30d")]).toEqual([2, 60]);
    s.apply(e);
    const y = features(ev(1, { amount_usd: 10 }), s);
    expect(get(y, "card_tx_count_1d")).toBe(2);
    expect(get(y, "card_avg_amount_1d")).toBe(40);
    expect(get(y, "amount_to_avg_1d")).toBe(10 / 40);
    expect(get(x, "card_tx_count_8_30d")).toBe(0);
    expect(get(x, "amount_to_avg_8_30d")).toBeNaN();
  });

  it("a new card has counts 0 and unknown (NaN) averages", () => {
    const x = features(ev(0), CardWindow.empty());
    expect(get(x, "card_tx_count_30d")).toBe(0);
    expect(get(x, "card_avg_amount_30d")).toBeNaN();
  });

  it("match a brute-force reading of an in-order history", () => {
    const s = CardWindow.empty();
    const past: Array<{ t: number; a: number }> = [];
    let seed = 7;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    let t = -40 * DAY_MS;
    for (let i = 0; i < 300; i++) {
      t += Math.floor(rnd() * 8 * HOUR_MS) + 1;
      const e = ev(t, { amount_usd: Math.round(rnd() * 20000) / 100 });
      const x = features(e, s);
      const T = BASE_MS + t;
      const dayStart = Math.floor(T / DAY_MS) * DAY_MS;
      const check = (name: string, from: (r: { t: number }) => boolean) => {
        const rows = past.filter(from);
        expect(get(x, `card_tx_count_${name}`)).toBe(rows.length);
        const avg = get(x, `card_avg_amount_${name}`)!;
        if (rows.length === 0) expect(avg).toBeNaN();
        else expect(avg).toBeCloseTo(rows.reduce((a, r) => a + r.a, 0) / rows.length, 6);
      };
      check("1d", (r) => r.t > T - DAY_MS);
      check("7d", (r) => r.t >= dayStart - 6 * DAY_MS);
      check("30d", (r) => r.t >= dayStart - 29 * DAY_MS);
      check("8_30d", (r) => r.t >= dayStart - 29 * DAY_MS && r.t < dayStart - 6 * DAY_MS);
      const old = get(x, "card_avg_amount_8_30d")!;
      if (old > 0) {
        expect(get(x, "amount_to_avg_8_30d")).toBeCloseTo(e.amount_usd / old, 9);
        expect(get(x, "card_avg_7d_to_8_30d")).toBeCloseTo(get(x, "card_avg_amount_7d")! / old, 9);
        // The highest daily mean of the last 7 UTC days (today before T included) over the 8–30-day mean.
        let best = Number.NEGATIVE_INFINITY;
        for (let d = 0; d < 7; d++) {
          const from = dayStart - d * DAY_MS;
          const rows = past.filter((r) => r.t >= from && r.t < from + DAY_MS);
          if (rows.length > 0) best = Math.max(best, rows.reduce((a, r) => a + r.a, 0) / rows.length);
        }
        if (best > Number.NEGATIVE_INFINITY) expect(get(x, "card_max_day_avg_to_8_30d")).toBeCloseTo(best / old, 9);
        else expect(get(x, "card_max_day_avg_to_8_30d")).toBeNaN();
      } else {
        expect(get(x, "card_max_day_avg_to_8_30d")).toBeNaN();
      }
      s.apply(e);
      past.push({ t: T, a: e.amount_usd });
    }
  });
});

describe("model features: event, reference and tier parts", () => {
  it("time of day, weekend, channel, MCC, tiers", () => {
    // BASE_MS is Monday 2026-06-15 12:00 UTC.
    const x = features(ev(-9 * HOUR_MS, { channel: "ONLINE", merchant_category_code: "5999" }), CardWindow.empty());
    expect([get(x, "hour_of_day"), get(x, "night_flag"), get(x, "weekend_flag")]).toEqual([3, 1, 0]);
    expect(get(features(ev(-2 * DAY_MS), CardWindow.empty()), "weekend_flag")).toBe(1);
    expect([get(x, "channel_code"), get(x, "mcc_code")]).toEqual([3, 5999]);
    expect([get(x, "rules_points"), get(x, "stats_score"), get(x, "forest_score")]).toEqual([0, 0, 0.5]);
  });

  it("terminal and merchant stats from refs, NaN when absent", () => {
    const st = { tx_1d: 3, fraud_1d: 1, rate_1d: 0.2, tx_7d: 9, fraud_7d: 2, rate_7d: 0.15, tx_30d: 30, fraud_30d: 2, rate_30d: 0.05 };
    const x = features(ev(0), CardWindow.empty(), { status: "OK", terminal_stats: st });
    expect([get(x, "terminal_tx_7d"), get(x, "terminal_fraud_7d"), get(x, "terminal_fraud_rate_30d")]).toEqual([9, 2, 0.05]);
    expect(get(x, "merchant_fraud_rate_1d")).toBeNaN();
    expect(get(x, "merchant_tx_30d")).toBeNaN();
  });
});
