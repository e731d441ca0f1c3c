import { describe, expect, it } from "vitest";
import { countryCode, countryIdAt, haversineKm } from "../geo/geo.js";
import { containsCardNumber } from "../pan-guard.js";
import { createRng } from "../random.js";
import { parseWith, ReferenceSignalsSchema, TransactionEventSchema, type TransactionEvent } from "../schemas.js";
import { CITIES } from "./cities.js";
import { FRAUD_PATTERNS, generateNormalTraffic, generateStream, type LabelledEvent, type StreamOptions } from "./index.js";
import { buildWorld } from "./world.js";

const START = Date.UTC(2026, 0, 5);
const take = (opts: StreamOptions) => [...generateStream(opts)];
const base: StreamOptions = { seed: 42, cards: 2000, events: 30_000, startMs: START, fraudRate: 0.02 };
const stream = take(base);
const ms = (e: LabelledEvent) => Date.parse(e.event.timestamp_utc);

function stringsOf(e: LabelledEvent): string[] {
  const v = e.event;
  return [v.transaction_id, v.card_number_hash, v.merchant_id, v.merchant_category_code, v.currency, v.timestamp_utc,
    v.terminal_id, v.device_fingerprint, v.ip_address_hash, v.card_bin].filter((s): s is string => s !== undefined);
}

describe("generateStream", () => {
  it("yields exactly `events` events, deterministic for a seed", () => {
    expect(stream).toHaveLength(30_000);
    const again = take(base);
    expect(JSON.stringify(again)).toBe(JSON.stringify(stream));
    const other = take({ ...base, seed: 43, events: 100 });
    expect(other[0]!.event.card_number_hash).not.toBe(stream[0]!.event.card_number_hash);
  });

  it("is in event-time order across all cards, with cards interleaved", () => {
    let prev = -Infinity;
    let disorder = 0;
    for (const e of stream) {
      const t = ms(e);
      if (t < prev) disorder++;
      prev = t;
    }
    expect(disorder).toBe(0);
    expect(ms(stream[0]!)).toBeGreaterThanOrEqual(START);
    const firstCards = new Set(stream.slice(0, 100).map((e) => e.event.card_number_hash));
    expect(firstCards.size).toBeGreaterThan(80);
    expect(new Set(stream.map((e) => e.event.transaction_id)).size).toBe(stream.length);
  });

  it("produces events and refs that pass the ingest validation (PAN guard + schema)", () => {
    for (const e of stream.slice(0, 5000)) {
      const r = parseWith(TransactionEventSchema, JSON.parse(JSON.stringify(e.event)));
      if (!r.ok) throw new Error(`${JSON.stringify(r.issues)} in ${JSON.stringify(e.event)}`);
      expect(ReferenceSignalsSchema.safeParse(e.refs).success).toBe(true);
    }
  });

  it("never produces a string that looks like a card number (100k events)", () => {
    let hits = 0;
    let checked = 0;
    for (const e of generateStream({ seed: 7, cards: 20_000, events: 100_000, startMs: START, fraudRate: 0.02 })) {
      for (const s of stringsOf(e)) {
        checked++;
        if (containsCardNumber(s)) hits++;
      }
    }
    expect(checked).toBeGreaterThan(700_000);
    expect(hits).toBe(0);
    expect(stream[0]!.event.card_number_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("fills channel-specific fields sensibly", () => {
    const byChannel = new Map<string, TransactionEvent[]>();
    for (const { event } of stream) {
      const list = byChannel.get(event.channel) ?? [];
      list.push(event);
      byChannel.set(event.channel, list);
    }
    expect([...byChannel.keys()].sort()).toEqual(["ATM", "IN_STORE", "MOBILE", "ONLINE"]);
    for (const ch of ["IN_STORE", "ATM"]) {
      for (const e of byChannel.get(ch)!) {
        expect(e.terminal_id).toBeDefined();
        expect(e.geolocation).toBeDefined();
        expect(e.device_fingerprint).toBeUndefined();
      }
    }
    for (const e of byChannel.get("ATM")!) expect(e.merchant_category_code).toBe("6011");
    for (const ch of ["ONLINE", "MOBILE"]) {
      const list = byChannel.get(ch)!;
      for (const e of list) {
        expect(e.terminal_id).toBeUndefined();
        expect(e.device_fingerprint).toMatch(/^fp_[0-9a-f]{24}$/);
        expect(e.ip_address_hash).toMatch(/^ip_[0-9a-f]{32}$/);
      }
      const located = list.filter((e) => e.geolocation !== undefined).length / list.length;
      expect(located).toBeGreaterThan(0.1);
      expect(located).toBeLessThan(0.9);
    }
    const mccs = new Set(stream.map((e) => e.event.merchant_category_code));
    for (const m of ["5411", "5541", "5812", "5999", "5311", "4511", "6011"]) expect(mccs.has(m)).toBe(true);
  });

  it("labels about fraudRate of the events with all four patterns", () => {
    const fraud = stream.filter((e) => e.is_fraud);
    expect(fraud.length / stream.length).toBeGreaterThan(0.01);
    expect(fraud.length / stream.length).toBeLessThan(0.03);
    expect(new Set(fraud.map((e) => e.pattern))).toEqual(new Set(FRAUD_PATTERNS));
    expect(stream.filter((e) => !e.is_fraud).every((e) => e.pattern === undefined)).toBe(true);
    const normal = [...generateNormalTraffic({ seed: 42, cards: 500, events: 5000, startMs: START })];
    expect(normal.some((e) => e.is_fraud)).toBe(false);
    const onlyVelocity = take({ ...base, events: 10_000, patterns: ["VELOCITY_ATTACK"] });
    expect(new Set(onlyVelocity.filter((e) => e.is_fraud).map((e) => e.pattern))).toEqual(new Set(["VELOCITY_ATTACK"]));
  });

  it("keeps legitimate movement at plausible speeds and fraud patterns recognisable", () => {
    const last = new Map<string, { t: number; lat: number; lon: number }>();
    const devices = new Map<string, Set<string>>();
    let fastLegit = 0;
    let travelFraud = 0;
    let impossible = 0;
    let atoNewDevice = 0;
    let ato = 0;
    for (const e of stream) {
      const v = e.event;
      const g = v.geolocation;
      const prev = last.get(v.card_number_hash);
      if (g && prev) {
        const km = haversineKm(prev.lat, prev.lon, g.lat, g.lon);
        const kmh = km / Math.max((ms(e) - prev.t) / 3_600_000, 1 / 60);
        if (!e.is_fraud && km > 50 && kmh > 1000) fastLegit++;
        if (e.pattern === "IMPOSSIBLE_TRAVEL") {
          travelFraud++;
          if (kmh > 1000) impossible++;
        }
      }
      if (g && !e.is_fraud) last.set(v.card_number_hash, { t: ms(e), lat: g.lat, lon: g.lon });
      const devs = devices.get(v.card_number_hash) ?? new Set<string>();
      if (e.pattern === "ACCOUNT_TAKEOVER") {
        ato++;
        if (v.device_fingerprint !== undefined && !devs.has(v.device_fingerprint)) atoNewDevice++;
      }
      if (v.device_fingerprint !== undefined && !e.is_fraud) devs.add(v.device_fingerprint);
      devices.set(v.card_number_hash, devs);
    }
    expect(fastLegit).toBe(0);
    expect(impossible / travelFraud).toBeGreaterThan(0.9);
    expect(atoNewDevice).toBe(ato);
  });

  it("puts every city and merchant location in its own country", () => {
    for (const c of CITIES) expect(countryCode(countryIdAt(c.lat, c.lon))).toBe(c.country);
    const world = buildWorld(createRng(1).fork("world"));
    for (const m of world.merchants) {
      for (const t of m.terminals) expect(countryCode(countryIdAt(t.geo.lat, t.geo.lon)), t.id).toBe(CITIES[m.city]!.country);
    }
    expect(world.risky.length).toBeGreaterThan(0);
    expect(world.merchants.some((m) => m.compromised)).toBe(true);
  });

  it("refuses bad options with a clear error", () => {
    expect(() => take({ ...base, cards: 0 })).toThrow(/cards/);
    expect(() => take({ ...base, fraudRate: 2 })).toThrow(/fraudRate/);
  });
});
