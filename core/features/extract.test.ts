import { describe, expect, it } from "vitest";
import type { ReferenceSignals } from "../schemas.js";
import { CardWindow } from "../window/card-window.js";
import { extractFeatures, toVector } from "./extract.js";
import { ev } from "../testing/features.js";

const OK: ReferenceSignals = { status: "OK" };

function stateOf(...events: ReturnType<typeof ev>[]): CardWindow {
  const s = CardWindow.empty();
  for (const e of events) s.apply(e);
  return s;
}

describe("velocity windows", () => {
  it("counts the current event: a card's first event has tx_count_1min = 1", () => {
    const f = extractFeatures(ev(0, { amount_usd: 12.5 }), CardWindow.empty(), OK);
    expect(f.tx_count_1min).toBe(1);
    expect(f.tx_count_1hr).toBe(1);
    expect(f.spend_velocity_1min).toBe(12.5);
    expect(f.time_since_last_txn).toBe(30 * 24 * 3600);
    expect(f.avg_txn_amount_30d).toBe(0);
    expect(f.txn_amount_deviation).toBe(0);
  });

  it.each([
    ["1min", 60_000, "tx_count_1min"],
    ["5min", 300_000, "tx_count_5min"],
    ["15min", 900_000, "tx_count_15min"],
    ["1hr", 3_600_000, "tx_count_1hr"],
  ] as const)("window %s is half-open: exactly w earlier is outside, 1 ms less is inside", (_n, w, key) => {
    const atEdge = extractFeatures(ev(w), stateOf(ev(0)), OK);
    expect(atEdge[key]).toBe(1);
    const inside = extractFeatures(ev(w - 1), stateOf(ev(0)), OK);
    expect(inside[key]).toBe(2);
  });

  it("sums spend per window", () => {
    const s = stateOf(ev(0, { amount_usd: 10 }), ev(200_000, { amount_usd: 20 }), ev(250_000, { amount_usd: 30 }));
    const f = extractFeatures(ev(280_000, { amount_usd: 5 }), s, OK);
    expect(f.spend_velocity_1min).toBe(35);
    expect(f.spend_velocity_5min).toBe(65);
    expect(f.tx_count_5min).toBe(4);
  });
});

describe("vector", () => {
  it("writes booleans as 0/1 in FEATURE_NAMES order", () => {
    const f = extractFeatures(ev(0, { device_fingerprint: "fp-1" }), CardWindow.empty(), OK);
    const v = toVector(f);
    expect(v.length).toBe(21);
    expect(v[16]).toBe(1);
    expect(v[0]).toBe(1);
  });
});

const PARIS = { lat: 48.8566, lon: 2.3522 };
const NYC = { lat: 40.7128, lon: -74.006 };
const NEWARK = { lat: 40.7357, lon: -74.1724 };

describe("behavioural features", () => {
  it("counts distinct merchants in the last hour including the current one", () => {
    const s = stateOf(ev(0, { merchant_id: "A" }), ev(60_000, { merchant_id: "B" }), ev(120_000, { merchant_id: "A" }), ev(-3_600_000, { merchant_id: "C" }));
    expect(extractFeatures(ev(180_000, { merchant_id: "D" }), s, OK).unique_merchants_1hr).toBe(3);
    expect(extractFeatures(ev(180_000, { merchant_id: "A" }), s, OK).unique_merchants_1hr).toBe(2);
  });

  it("counts distinct merchants exactly in a full burst: every event at a new merchant, then repeats", () => {
    // A card-testing burst fills the 128-event buffer within the hour; the count must stay exact
    // whatever the merchants' hashes collide on, and nothing may carry over between calls.
    const s = CardWindow.empty();
    for (let i = 0; i < 200; i++) s.apply(ev(i * 1000, { merchant_id: `m-${i % 150}` }));
    const held = 128; // MAX_RECENT: the 128 latest events, i = 72..199
    const distinct = new Set(Array.from({ length: held }, (_, k) => `m-${(72 + k) % 150}`));
    const T = 200_000;
    expect(extractFeatures(ev(T, { merchant_id: "fresh" }), s, OK).unique_merchants_1hr).toBe(distinct.size + 1);
    expect(extractFeatures(ev(T, { merchant_id: "m-199" }), s, OK).unique_merchants_1hr).toBe(distinct.has("m-199") ? distinct.size : distinct.size + 1);
    expect(extractFeatures(ev(T, { merchant_id: "m-100" }), s, OK).unique_merchants_1hr).toBe(distinct.size);
    // A fresh card right after: only its own merchant.
    expect(extractFeatures(ev(T, { merchant_id: "m-100" }), CardWindow.empty(), OK).unique_merchants_1hr).toBe(1);
  });

  it("counts distinct countries in 24 h, ignoring events without coordinates", () => {
    const s = stateOf(ev(0, { geolocation: PARIS }), ev(1000, { geolocation: undefined }), ev(2000, { geolocation: NYC }));
    expect(extractFeatures(ev(3000, { geolocation: { lat: 51.5, lon: -0.12 } }), s, OK).unique_countries_24hr).toBe(3);
    expect(extractFeatures(ev(3000, { geolocation: undefined }), s, OK).unique_countries_24hr).toBe(2);
  });

  it("measures seconds since the latest earlier event, capped at 30 days", () => {
    const s = stateOf(ev(0), ev(90_000));
    expect(extractFeatures(ev(100_000), s, OK).time_since_last_txn).toBe(10);
    expect(extractFeatures(ev(40 * 86_400_000), stateOf(ev(0)), OK).time_since_last_txn).toBe(30 * 86_400);
  });

  it("averages amounts over the previous days and today's earlier events; deviation is a floored z-score", () => {
    const s = stateOf(ev(-2 * 86_400_000, { amount_usd: 100 }), ev(-86_400_000, { amount_usd: 100 }), ev(0, { amount_usd: 100 }));
    const f = extractFeatures(ev(60_000, { amount_usd: 300 }), s, OK);
    expect(f.avg_txn_amount_30d).toBe(100);
    // std 0 → floor max(5, 0.25·100) = 25 → (300 − 100) / 25
    expect(f.txn_amount_deviation).toBe(8);
    const huge = extractFeatures(ev(60_000, { amount_usd: 100_000 }), s, OK);
    expect(huge.txn_amount_deviation).toBe(50);
  });

  it("geo velocity uses haversine distance and a 60 s time floor", () => {
    const s = stateOf(ev(0, { geolocation: NYC }));
    const same = extractFeatures(ev(0, { geolocation: PARIS }), s, OK);
    expect(same.geo_velocity_kmh).toBeCloseTo(5837 * 60, -3); // 5,837 km in the 60 s floor
    expect(Number.isFinite(same.geo_velocity_kmh)).toBe(true);
    const later = extractFeatures(ev(8 * 3_600_000, { geolocation: PARIS }), s, OK);
    expect(later.geo_velocity_kmh).toBeGreaterThan(700);
    expect(later.geo_velocity_kmh).toBeLessThan(760);
    expect(extractFeatures(ev(1000, { geolocation: undefined }), s, OK).geo_velocity_kmh).toBe(0);
  });

  it("flags a country change from the previous located event only", () => {
    const s = stateOf(ev(0, { geolocation: NYC }), ev(1000, { geolocation: undefined }));
    expect(extractFeatures(ev(2000, { geolocation: PARIS }), s, OK).cross_country_flag).toBe(true);
    expect(extractFeatures(ev(2000, { geolocation: NEWARK }), s, OK).cross_country_flag).toBe(false);
    expect(extractFeatures(ev(2000, { geolocation: undefined }), s, OK).cross_country_flag).toBe(false);
    expect(extractFeatures(ev(0, { geolocation: PARIS }), CardWindow.empty(), OK).cross_country_flag).toBe(false);
  });

  it("flags a device never seen on the card; false when no fingerprint", () => {
    const s = stateOf(ev(0, { device_fingerprint: "fp-a" }));
    expect(extractFeatures(ev(1000, { device_fingerprint: "fp-a" }), s, OK).new_device_flag).toBe(false);
    expect(extractFeatures(ev(1000, { device_fingerprint: "fp-b" }), s, OK).new_device_flag).toBe(true);
    expect(extractFeatures(ev(1000), s, OK).new_device_flag).toBe(false);
  });

  it("novelty extras: new IP, new MCC (not on a first event), device+IP first seen within 24 h", async () => {
    const { extractInto, F, N_RULE_FEATURES } = await import("./extract.js");
    const s = stateOf(ev(0, { device_fingerprint: "fp-a", ip_address_hash: "ip-a" }));
    const v = new Float64Array(N_RULE_FEATURES);
    const at = (t: number, over: Parameters<typeof ev>[1]) => {
      const e = ev(t, over);
      extractInto(e, Date.parse(e.timestamp_utc), s, OK, v);
      return [v[F.new_ip_flag], v[F.new_mcc_flag], v[F.fresh_device_ip_flag]];
    };
    expect(at(1000, { device_fingerprint: "fp-a", ip_address_hash: "ip-a" })).toEqual([0, 0, 1]);
    expect(at(86_400_000, { device_fingerprint: "fp-a", ip_address_hash: "ip-a" })).toEqual([0, 0, 0]);
    expect(at(86_400_000, { device_fingerprint: "fp-b", ip_address_hash: "ip-b", merchant_category_code: "4829" })).toEqual([1, 1, 1]);
    expect(at(86_400_000, { device_fingerprint: "fp-a", ip_address_hash: "ip-b" })).toEqual([1, 0, 0]);
    expect(at(86_400_000, { ip_address_hash: "ip-b" })).toEqual([1, 0, 0]);
    const first = ev(0, { merchant_category_code: "4829" });
    extractInto(first, Date.parse(first.timestamp_utc), CardWindow.empty(), OK, v);
    expect(v[F.new_mcc_flag]).toBe(0);
    expect(v[F.amount_to_avg_30d]).toBe(0);
    const big = ev(1000, { amount_usd: 200 });
    extractInto(big, Date.parse(big.timestamp_utc), s, OK, v);
    expect(v[F.amount_to_avg_30d]).toBe(4);
  });

  it.each([
    ["IN_STORE", { card_present: false }, true],
    ["IN_STORE", { card_present: true }, false],
    ["IN_STORE", {}, false],
    ["ATM", { ip_address_hash: "iph", terminal_id: undefined }, true],
    ["ATM", { ip_address_hash: "iph", terminal_id: "ATM-1" }, false],
    ["ONLINE", { card_present: true, terminal_id: undefined }, true],
    ["ONLINE", { card_present: false, terminal_id: undefined }, false],
    ["MOBILE", { card_present: true }, true],
    ["MOBILE", {}, false],
  ] as const)("card_present_mismatch on %s with %j is %s", (channel, over, want) => {
    expect(extractFeatures(ev(0, { channel, ...over }), CardWindow.empty(), OK).card_present_mismatch).toBe(want);
  });

  it("takes risk values from refs, 0 when absent", () => {
    const f = extractFeatures(ev(0), CardWindow.empty(), { status: "OK", merchant_risk_score: 0.7, ip_reputation_score: 0.2, terminal_risk_score: 0.9 });
    expect([f.merchant_risk_score, f.ip_reputation_score, f.terminal_risk_score]).toEqual([0.7, 0.2, 0.9]);
    const g = extractFeatures(ev(0), CardWindow.empty(), OK);
    expect([g.merchant_risk_score, g.ip_reputation_score, g.terminal_risk_score]).toEqual([0, 0, 0]);
  });
});

describe("event time", () => {
  it("an out-of-order event sees only the events at or before its own time", () => {
    const s = stateOf(ev(0), ev(10_000), ev(50_000), ev(55_000));
    const f = extractFeatures(ev(20_000), s, OK);
    expect(f.tx_count_1min).toBe(3);
    expect(f.time_since_last_txn).toBe(10);
  });

  it("an event with the same timestamp as an earlier one sees it (0 s since last)", () => {
    const f = extractFeatures(ev(0), stateOf(ev(0)), OK);
    expect(f.tx_count_1min).toBe(2);
    expect(f.time_since_last_txn).toBe(0);
  });

  it("a late event (≤ watermark − 24 h) is scored on what the state holds for its time: empty windows", () => {
    const s = stateOf(ev(-86_400_000 - 30_000), ev(0), ev(1000));
    const f = extractFeatures(ev(-86_400_000), s, OK);
    expect(f.tx_count_1min).toBe(1);
    expect(f.tx_count_1hr).toBe(1);
    // the 30-day buckets still know the earlier day
    expect(f.avg_txn_amount_30d).toBe(50);
  });

  it("does not change the state", () => {
    const s = stateOf(ev(0));
    extractFeatures(ev(1000, { device_fingerprint: "x" }), s, OK);
    expect(s.eventCount).toBe(1);
    expect(s.devLen).toBe(0);
  });
});
