import { describe, expect, it } from "vitest";
import { containsCardNumber } from "../../pan-guard.js";
import { parseWith, TransactionEventSchema } from "../../schemas.js";
import { cardHashOf, generateHandbookDataset, gridToLatLon, handbookEventMapper, handbookEvents, ORIGIN } from "./index.js";

const ds = generateHandbookDataset({ seed: 11, nCustomers: 200, nTerminals: 400, nbDays: 10, radius: 15 });

describe("handbook rows as Vigil events", () => {
  it("every event passes the transaction schema and the PAN guard; labels ride alongside", () => {
    let n = 0;
    for (const { event, label } of handbookEvents(ds)) {
      const r = parseWith(TransactionEventSchema, JSON.parse(JSON.stringify(event)));
      if (!r.ok) throw new Error(JSON.stringify(r.issues));
      expect(label.transaction_id).toBe(event.transaction_id);
      expect(label.event_ms).toBe(Date.parse(event.timestamp_utc));
      n++;
    }
    expect(n).toBe(ds.tx.length);
    const m = handbookEventMapper(ds);
    const i = ds.tx.fraud.indexOf(1);
    expect(m.at(i).label).toMatchObject({ is_fraud: true, scenario: ds.tx.scenario[i] });
    expect(m.at(i).event).toMatchObject({ currency: "USD", channel: "IN_STORE", transaction_type: "PURCHASE", device_fingerprint: undefined, ip_address_hash: undefined });
  });

  it("card hashes are 64 hex, stable per customer, distinct across customers, never a PAN", () => {
    const seen = new Set<string>();
    for (let c = 0; c < 5000; c++) {
      const h = cardHashOf(c, 0);
      expect(h).toMatch(/^[0-9a-f]{64}$/);
      expect(containsCardNumber(h)).toBe(false);
      seen.add(h);
    }
    expect(seen.size).toBe(5000);
    expect(cardHashOf(42, 0)).toBe(cardHashOf(42, 0));
    expect(cardHashOf(42, 1)).not.toBe(cardHashOf(42, 0));
  });

  it("one terminal is one merchant, MCC and place; the grid maps 1 unit to 1 km", () => {
    const m = handbookEventMapper(ds);
    const byTerminal = new Map<string, string>();
    for (let i = 0; i < ds.tx.length; i++) {
      const e = m.at(i).event;
      const key = `${e.merchant_id}|${e.merchant_category_code}|${e.geolocation!.lat}|${e.geolocation!.lon}`;
      const prev = byTerminal.get(e.terminal_id!);
      if (prev !== undefined && prev !== key) throw new Error(`terminal ${e.terminal_id} changes`);
      byTerminal.set(e.terminal_id!, key);
    }
    const a = gridToLatLon(0, 0);
    const b = gridToLatLon(0, 100);
    expect(a).toEqual({ lat: ORIGIN.lat, lon: ORIGIN.lon });
    expect((b.lat - a.lat) * 110.574).toBeCloseTo(100, 1);
  });

  it("day filters select whole days", () => {
    const days = [...handbookEvents(ds, { fromDay: 3, toDay: 5 })].map((x) => Math.floor((x.label.event_ms - ds.startMs) / 86_400_000));
    expect(new Set(days)).toEqual(new Set([3, 4]));
  });
});
