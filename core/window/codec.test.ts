import { describe, expect, it } from "vitest";
import { ev } from "../testing/features.js";
import * as extractMod from "../features/extract.js";
import { extractFeatures } from "../features/extract.js";
import { CardWindow, DAY_MS } from "./card-window.js";
import { CARD_STATE_FORMAT_VERSION, decodeCardState, encodeCardState } from "./codec.js";

function busy(): CardWindow {
  const s = CardWindow.empty();
  for (let i = 0; i < 60; i++) {
    s.apply(ev(i * 37 * 60_000, {
      amount_usd: 5 + ((i * 53) % 400) + 0.37,
      merchant_id: `MCH-${i % 7}`,
      device_fingerprint: i % 3 === 0 ? undefined : `fp-${i % 4}`,
      geolocation: i % 5 === 0 ? undefined : { lat: 40 + (i % 3) * 5, lon: i % 2 ? -74 : 2.35 },
    }));
  }
  s.apply(ev(-3 * DAY_MS)); // a late one
  return s;
}

describe("card state codec", () => {
  it("round-trips exactly (same text, same features)", () => {
    const s = busy();
    const text = encodeCardState(s);
    const d = decodeCardState(text);
    expect(encodeCardState(d)).toBe(text);
    const probe = ev(61 * 37 * 60_000, { device_fingerprint: "fp-2", geolocation: { lat: 48.85, lon: 2.35 } });
    expect(extractFeatures(probe, d, { status: "OK" })).toEqual(extractFeatures(probe, s, { status: "OK" }));
    expect(d.eventCount).toBe(s.eventCount);
    expect(d.lastEventMs).toBe(s.lastEventMs);
    expect(d.lateCount).toBe(1);
  });

  it("round-trips an empty state", () => {
    const d = decodeCardState(encodeCardState(CardWindow.empty()));
    expect(d.eventCount).toBe(0);
    expect(d.lastEventMs).toBeUndefined();
  });

  it("continues identically after decode (apply on both)", () => {
    const s = busy();
    const d = decodeCardState(encodeCardState(s));
    for (let i = 0; i < 200; i++) {
      const e = ev(3 * DAY_MS + i * 20_000, { amount_usd: 10 + i, merchant_id: `M-${i % 9}` });
      s.apply(e);
      d.apply(e);
    }
    expect(encodeCardState(d)).toBe(encodeCardState(s));
  });

  it("refuses unknown format versions with a clear error", () => {
    const text = encodeCardState(busy()).replace(`"v":${CARD_STATE_FORMAT_VERSION}`, '"v":99');
    expect(() => decodeCardState(text)).toThrow(/unknown format version 99 \(this build reads 1 and 2\)/);
    expect(() => decodeCardState("{}")).toThrow(/unknown format version undefined/);
  });

  it("migrates format 1: devices long known, IP/MCC novelty off for 14 days of event time", () => {
    const s = busy();
    const v2 = JSON.parse(encodeCardState(s)) as Record<string, unknown> & { devices: number[][] };
    const v1: Record<string, unknown> = { ...v2, v: 1, devices: v2.devices.map(([h, seen]) => [h, seen]) };
    for (const k of ["ips", "mccs", "novelty_from"]) delete v1[k];
    const d = decodeCardState(JSON.stringify(v1));
    const after = (days: number) => 60 * 37 * 60_000 + days * DAY_MS;
    const probe = (t: number) => ev(t, { device_fingerprint: "fp-2", ip_address_hash: "ip-x", merchant_category_code: "5944" });
    const f = extractFeatures(probe(after(1)), d, { status: "OK" });
    expect(f.new_device_flag).toBe(false);
    expect(f.txn_amount_deviation).toBe(extractFeatures(probe(after(1)), s, { status: "OK" }).txn_amount_deviation);
    const { extractInto, F, N_RULE_FEATURES } = extractMod;
    const v = new Float64Array(N_RULE_FEATURES);
    const at = (t: number) => (extractInto(probe(t), t + Date.parse(ev(0).timestamp_utc), d, { status: "OK" }, v), [v[F.new_ip_flag], v[F.new_mcc_flag], v[F.fresh_device_ip_flag]]);
    expect(at(after(1))).toEqual([0, 0, 0]);
    expect(at(after(15))).toEqual([1, 1, 0]);
    expect(JSON.parse(encodeCardState(d)).v).toBe(CARD_STATE_FORMAT_VERSION);
  });

  it("refuses malformed input naming the field", () => {
    expect(() => decodeCardState("nope")).toThrow(/not JSON/);
    const bad = JSON.parse(encodeCardState(busy())) as { count: unknown };
    bad.count = -1;
    expect(() => decodeCardState(JSON.stringify(bad))).toThrow(/invalid at count/);
  });
});
