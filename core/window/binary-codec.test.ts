import { describe, expect, it } from "vitest";
import { ev } from "../testing/features.js";
import { extractFeatures } from "../features/extract.js";
import { countryCode } from "../geo/geo.js";
import { BINARY_FORMAT_VERSION, V1_LAYOUT_FINGERPRINT, decodeCardStateBinary, encodeCardStateBinary } from "./binary-codec.js";
import v1 from "../testing/card-state-v1.json" with { type: "json" };
import { CardWindow, DAY_MS } from "./card-window.js";
import { decodeCardState, encodeCardState } from "./codec.js";

function busy(): CardWindow {
  const s = CardWindow.empty();
  for (let i = 0; i < 150; i++) {
    s.apply(ev(i * 9 * 60_000, {
      amount_usd: 5 + ((i * 53) % 400) + 0.37,
      merchant_id: `MCH-${i % 7}`,
      merchant_category_code: String(5411 + (i % 40)),
      device_fingerprint: i % 3 === 0 ? undefined : `fp-${i % 20}`,
      ip_address_hash: i % 4 === 0 ? undefined : `ip-${i % 19}`,
      geolocation: i % 5 === 0 ? undefined : { lat: 40 + (i % 3) * 5, lon: i % 2 ? -74 : 2.35 },
    }));
  }
  s.apply(ev(-3 * DAY_MS)); // a late one
  return s;
}

describe("binary card state codec", () => {
  it("migrates a blob of the layout before format 2 like the JSON codec migrates format 1", () => {
    expect(V1_LAYOUT_FINGERPRINT.toString(16)).toBe(v1.binary_layout);
    const fromBinary = decodeCardStateBinary(Uint8Array.from(atob(v1.binary_base64), (c) => c.charCodeAt(0)));
    const fromJson = decodeCardState(v1.json);
    expect(encodeCardState(fromBinary)).toBe(encodeCardState(fromJson));
    expect(fromBinary.noveltyFromMs).toBe(fromJson.watermarkMs);
    expect(fromBinary.devLen).toBeGreaterThan(0);
    const d = decodeCardStateBinary(encodeCardStateBinary(fromBinary));
    expect(encodeCardState(d)).toBe(encodeCardState(fromJson));
  });

  it("decodes to what the JSON codec holds (same encodeCardState text, same features)", () => {
    const s = busy();
    const d = decodeCardStateBinary(encodeCardStateBinary(s));
    expect(encodeCardState(d)).toBe(encodeCardState(s));
    const probe = ev(151 * 9 * 60_000, { device_fingerprint: "fp-2", geolocation: { lat: 48.85, lon: 2.35 } });
    expect(extractFeatures(probe, d, { status: "OK" })).toEqual(extractFeatures(probe, s, { status: "OK" }));
    expect(d.eventCount).toBe(s.eventCount);
    expect(d.recentCount).toBe(s.recentCount);
    expect(countryCode(d.anchorCountry)).toBe(countryCode(s.anchorCountry));
  });

  it("round-trips an empty state and a JSON-decoded one", () => {
    const e = decodeCardStateBinary(encodeCardStateBinary(CardWindow.empty()));
    expect(encodeCardState(e)).toBe(encodeCardState(CardWindow.empty()));
    const viaJson = decodeCardState(encodeCardState(busy()));
    expect(encodeCardState(decodeCardStateBinary(encodeCardStateBinary(viaJson)))).toBe(encodeCardState(busy()));
  });

  it("continues identically after decode (apply on both)", () => {
    const s = busy();
    const d = decodeCardStateBinary(encodeCardStateBinary(s));
    for (let i = 0; i < 200; i++) {
      const e = ev(3 * DAY_MS + i * 20_000, { amount_usd: 10 + i, merchant_id: `M-${i % 9}`, geolocation: { lat: 51.5, lon: -0.12 } });
      s.apply(e);
      d.apply(e);
    }
    expect(encodeCardState(d)).toBe(encodeCardState(s));
  });

  it("reads a blob at an unaligned offset (copied once)", () => {
    const blob = encodeCardStateBinary(busy());
    const shifted = new Uint8Array(blob.byteLength + 3);
    shifted.set(blob, 3);
    expect(encodeCardState(decodeCardStateBinary(shifted.subarray(3)))).toBe(encodeCardState(busy()));
  });

  it("refuses other formats, other layouts, truncation and non-blobs with a clear error", () => {
    const blob = encodeCardStateBinary(busy());
    const version = blob.slice();
    version[4] = BINARY_FORMAT_VERSION + 1;
    expect(() => decodeCardStateBinary(version)).toThrow(/format 2 \(this build reads 1\)/);
    const layout = blob.slice();
    layout[8] = (layout[8] ?? 0) ^ 0xff;
    expect(() => decodeCardStateBinary(layout)).toThrow(/layout [0-9a-f]+ is not this build's/);
    expect(() => decodeCardStateBinary(blob.slice(0, blob.byteLength - 8))).toThrow(/truncated|bad length|trailing/);
    expect(() => decodeCardStateBinary(new TextEncoder().encode(encodeCardState(busy())))).toThrow(/not a VCSB blob/);
  });
});
