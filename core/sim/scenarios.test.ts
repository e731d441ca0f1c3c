import { describe, expect, it } from "vitest";
import { haversineKm } from "../geo/geo.js";
import { parseWith, TransactionEventSchema } from "../schemas.js";
import { accountTakeover, bigUsualPurchase, impossibleTravel, legitTraveller, merchantCompromise, velocityAttack, type LabelledEvent } from "./index.js";

const CARD = "c0ffee".padEnd(64, "0");
const T0 = Date.UTC(2026, 2, 10, 15);
const ms = (e: LabelledEvent) => Date.parse(e.event.timestamp_utc);

function common(events: LabelledEvent[]) {
  let prev = -Infinity;
  for (const e of events) {
    expect(ms(e)).toBeGreaterThanOrEqual(prev);
    prev = ms(e);
    expect(e.event.card_number_hash).toBe(CARD);
    const r = parseWith(TransactionEventSchema, JSON.parse(JSON.stringify(e.event)));
    expect(r.ok).toBe(true);
  }
  const history = events.filter((e) => ms(e) < T0 - 60_000);
  expect(history.length).toBeGreaterThan(10);
  expect(history.every((e) => !e.is_fraud)).toBe(true);
  return events.filter((e) => ms(e) >= T0 - 60_000);
}

describe("scenario builders", () => {
  it("velocityAttack: a burst of ≥ 8 fraudulent charges within minutes, small first", () => {
    const tail = common(velocityAttack(CARD, T0));
    expect(tail.length).toBeGreaterThanOrEqual(8);
    expect(tail.every((e) => e.is_fraud && e.pattern === "VELOCITY_ATTACK")).toBe(true);
    expect(ms(tail[7]!) - T0).toBeLessThan(10 * 60_000);
    expect(tail[0]!.event.amount_usd).toBeLessThan(10);
  });

  it("impossibleTravel: a home purchase, then card-present use > 2500 km away within an hour", () => {
    const tail = common(impossibleTravel(CARD, T0));
    const [anchor, first] = tail;
    expect(anchor!.is_fraud).toBe(false);
    expect(first!.is_fraud).toBe(true);
    expect(first!.pattern).toBe("IMPOSSIBLE_TRAVEL");
    const a = anchor!.event.geolocation!;
    const b = first!.event.geolocation!;
    expect(haversineKm(a.lat, a.lon, b.lat, b.lon)).toBeGreaterThan(2500);
    expect(ms(first!) - ms(anchor!)).toBeLessThanOrEqual(60 * 60_000);
  });

  it("accountTakeover: an unseen device and IP, amounts far above the history", () => {
    const all = accountTakeover(CARD, T0);
    const tail = common(all);
    const seen = new Set(all.filter((e) => !e.is_fraud).map((e) => e.event.device_fingerprint));
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const historyMedian = median(all.filter((e) => !e.is_fraud).map((e) => e.event.amount_usd));
    for (const e of tail) {
      expect(e.pattern).toBe("ACCOUNT_TAKEOVER");
      expect(seen.has(e.event.device_fingerprint)).toBe(false);
      expect(e.event.amount_usd).toBeGreaterThanOrEqual(250);
    }
    expect(median(tail.map((e) => e.event.amount_usd))).toBeGreaterThan(4 * historyMedian);
  });

  it("merchantCompromise: the card is used at a compromised shop, then fraud follows", () => {
    const all = merchantCompromise(CARD, T0);
    common(all);
    const skim = all.find((e) => e.refs.terminal_risk_score !== undefined && e.refs.terminal_risk_score >= 0.5 && !e.is_fraud);
    expect(skim).toBeDefined();
    const fraud = all.filter((e) => e.is_fraud);
    expect(fraud.length).toBeGreaterThanOrEqual(1);
    expect(fraud.every((e) => e.pattern === "MERCHANT_COMPROMISE" && ms(e) > ms(skim!))).toBe(true);
  });

  it("legitTraveller: abroad after a plausible flight, never labelled fraud", () => {
    const all = legitTraveller(CARD, T0, { tripDays: 4 });
    expect(all.every((e) => !e.is_fraud)).toBe(true);
    let prev: LabelledEvent | undefined;
    let far = 0;
    for (const e of all) {
      const g = e.event.geolocation;
      if (!g) continue;
      if (prev) {
        const p = prev.event.geolocation!;
        const km = haversineKm(p.lat, p.lon, g.lat, g.lon);
        if (km > 1500) far++;
        if (km > 50) expect(km / ((ms(e) - ms(prev)) / 3_600_000)).toBeLessThan(900);
      }
      prev = e;
    }
    expect(far).toBe(1);
  });

  it("bigUsualPurchase: a legitimate purchase well above the usual amount at a known shop", () => {
    const all = bigUsualPurchase(CARD, T0);
    const big = all[all.length - 1]!;
    expect(ms(big)).toBe(T0);
    expect(big.is_fraud).toBe(false);
    expect(all.slice(0, -1).some((e) => e.event.merchant_id === big.event.merchant_id)).toBe(true);
    const amounts = all.slice(0, -1).map((e) => e.event.amount_usd).sort((a, b) => a - b);
    expect(big.event.amount_usd).toBeGreaterThan(3 * amounts[Math.floor(amounts.length / 2)]!);
  });

  it("is deterministic per card hash and seed", () => {
    expect(JSON.stringify(velocityAttack(CARD, T0))).toBe(JSON.stringify(velocityAttack(CARD, T0)));
    expect(JSON.stringify(velocityAttack(CARD, T0, { seed: 2 }))).not.toBe(JSON.stringify(velocityAttack(CARD, T0)));
  });
});
