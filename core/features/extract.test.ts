import { describe, expect, it } from "vitest";
import type { ReferenceSignals } from "../schemas.js";
import { CardState } from "../window/card-state.js";
import { extractFeatures, toVector } from "./extract.js";
import { ev } from "./fixtures.js";

const OK: ReferenceSignals = { status: "OK" };

function stateOf(...events: ReturnType<typeof ev>[]): CardState {
  const s = CardState.empty();
  for (const e of events) s.apply(e);
  return s;
}

describe("velocity windows", () => {
  it("counts the current event: a card's first event has tx_count_1min = 1", () => {
    const f = extractFeatures(ev(0, { amount_usd: 12.5 }), CardState.empty(), OK);
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
    const f = extractFeatures(ev(0, { device_fingerprint: "fp-1" }), CardState.empty(), OK);
    const v = toVector(f);
    expect(v.length).toBe(21);
    expect(v[16]).toBe(1);
    expect(v[0]).toBe(1);
  });
});
