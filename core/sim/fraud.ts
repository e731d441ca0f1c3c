import type { Rng } from "../random.js";
import { CITIES } from "./cities.js";
import {
  amountFor, cityAt, emit, farCity, legitSpec, localMerchant, onlineMerchant, pickCity,
  type Card, type Emitter, type Spec,
} from "./cards.js";
import type { FraudPattern, LabelledEvent } from "./types.js";
import { CATEGORIES, newDevice, newIpHash, type CategoryName, type Merchant } from "./world.js";

// Labelled fraud incidents. Each is a short script of events on one victim card, at times fixed
// when the incident is created; the stream merges them with the card holders' own traffic.

export interface Incident {
  pattern: FraudPattern;
  /** Victim; for MERCHANT_COMPROMISE chosen when the incident starts (from exposed cards). */
  card: Card | undefined;
  times: number[];
  k: number;
  step(em: Emitter, card: Card, k: number, t: number): LabelledEvent;
}

/** Mean events per incident, to turn a fraud rate into a number of incidents. */
export const MEAN_EVENTS: Record<FraudPattern, number> = {
  VELOCITY_ATTACK: 19,
  IMPOSSIBLE_TRAVEL: 3,
  ACCOUNT_TAKEOVER: 4,
  MERCHANT_COMPROMISE: 2.5,
};
/** Share of fraudulent events per pattern when all are enabled. */
export const EVENT_SHARE: Record<FraudPattern, number> = {
  VELOCITY_ATTACK: 0.35,
  IMPOSSIBLE_TRAVEL: 0.2,
  ACCOUNT_TAKEOVER: 0.25,
  MERCHANT_COMPROMISE: 0.2,
};

const round2 = (x: number) => Math.round(x * 100) / 100;
const round3 = (x: number) => Math.round(x * 1000) / 1000;

interface Attacker {
  device: string;
  ip: string;
  ipRep: number;
  ipBlocked: boolean;
}

function attacker(rng: Rng): Attacker {
  // Most fraud comes from poorly reputed networks; some through clean residential proxies.
  const clean = rng.chance(0.3);
  return {
    device: newDevice(rng),
    ip: newIpHash(rng),
    ipRep: round3(clean ? rng.range(0.03, 0.3) : rng.range(0.4, 0.95)),
    ipBlocked: !clean && rng.chance(0.12),
  };
}

function times(start: number, n: number, gap: () => number): number[] {
  const out = [Math.round(start)];
  for (let i = 1; i < n; i++) out.push(out[i - 1]! + Math.max(1000, Math.round(gap())));
  return out;
}

function cnp(card: Card, t: number, merchant: Merchant, amount: number, a: Attacker, channel: "ONLINE" | "MOBILE"): Spec {
  return {
    card, t, merchant, terminal: undefined, channel, type: merchant.category.name === "MONEY_TRANSFER" ? "TRANSFER" : "PURCHASE",
    amount, currency: CITIES[card.home]!.currency, device: a.device, ip: a.ip, ipRep: a.ipRep, geo: undefined,
    cardPresent: undefined, binBlocked: false, ipBlocked: a.ipBlocked,
  };
}

function present(card: Card, t: number, merchant: Merchant, amount: number, rng: Rng): Spec {
  const terminal = rng.pick(merchant.terminals);
  return {
    card, t, merchant, terminal, channel: merchant.category.name === "ATM" ? "ATM" : "IN_STORE",
    type: merchant.category.name === "ATM" ? "WITHDRAWAL" : "PURCHASE", amount,
    currency: CITIES[merchant.city]!.currency, device: undefined, ip: undefined, ipRep: undefined, geo: terminal.geo,
    cardPresent: true, binBlocked: false, ipBlocked: false,
  };
}

/** Card testing then cash-out: a burst of small online charges seconds apart, then larger ones. */
export function velocityAttack(rng: Rng, card: Card | undefined, start: number): Incident {
  const n = 8 + rng.int(23);
  const a = attacker(rng);
  const binBlocked = rng.chance(0.25);
  const sameShop = rng.chance(0.5);
  let shop: Merchant | undefined;
  const testing = Math.ceil(n * rng.range(0.5, 0.85));
  const channel = rng.chance(0.85) ? "ONLINE" : "MOBILE";
  return {
    pattern: "VELOCITY_ATTACK", card, k: 0,
    times: times(start, n, () => 2000 + rng.exponential(14_000)),
    step(em, c, k, t) {
      const r = em.rng;
      const m = (sameShop ? shop : undefined) ?? onlineMerchant(r, em.world, r.chance(0.6) ? "DIGITAL_GOODS" : "ONLINE_RETAIL");
      shop = m;
      const amount = k < testing ? round2(r.range(0.5, 9.99)) : round2(r.range(40, 450));
      const s = cnp(c, t, m, amount, a, channel);
      s.binBlocked = binBlocked;
      return emit(em, s, true, "VELOCITY_ATTACK");
    },
  };
}

/** A cloned card used in another country minutes after the holder paid at home. */
export function impossibleTravel(rng: Rng, card: Card | undefined, start: number): Incident {
  const n = 2 + rng.int(3);
  let far = -1;
  let here = -1;
  // The anchor, then the first cloned-card use 5–60 min later, then one every 5–30 min.
  const hop = rng.range(5, 60) * 60_000;
  const ts = times(start, n, () => rng.range(5, 30) * 60_000);
  const shift = Math.round(hop - (ts[1]! - ts[0]!));
  for (let i = 1; i < n; i++) ts[i] = ts[i]! + shift;
  return {
    pattern: "IMPOSSIBLE_TRAVEL", card, k: 0, times: ts,
    step(em, c, k, t) {
      const r = em.rng;
      if (k === 0) {
        // The holder's own purchase at home: the anchor the later events are impossible from.
        const s = legitSpec(em, c, t);
        here = cityAt(c, t);
        const m = here === c.home ? r.pick(c.regulars) : localMerchant(r, em.world, here, "RESTAURANT");
        if (s.channel !== "IN_STORE") Object.assign(s, present(c, t, m, s.amount, r));
        return emit(em, s, false);
      }
      if (far < 0) far = farCity(r, here < 0 ? c.home : here);
      const cat: CategoryName = r.pick(["ELECTRONICS", "JEWELRY", "RETAIL", "ATM"]);
      const m = localMerchant(r, em.world, far, cat);
      const amount = cat === "ATM" ? 20 * (5 + r.int(25)) : round2(CATEGORIES[cat].median * r.logNormal(0.7, 0.5));
      return emit(em, present(c, t, m, amount, r), true, "IMPOSSIBLE_TRAVEL");
    },
  };
}

/** Someone else logs in: new device and network, large amounts at categories the card never used. */
export function accountTakeover(rng: Rng, card: Card | undefined, start: number): Incident {
  const n = 2 + rng.int(5);
  const a = attacker(rng);
  const channel = rng.chance(0.7) ? "ONLINE" : "MOBILE";
  const foreign = rng.chance(0.5) ? pickCity(rng) : -1;
  return {
    pattern: "ACCOUNT_TAKEOVER", card, k: 0,
    times: times(start, n, () => rng.range(2, 40) * 60_000),
    step(em, c, _k, t) {
      const r = em.rng;
      const cat: CategoryName = r.pick(["MONEY_TRANSFER", "DIGITAL_GOODS", "ONLINE_RETAIL", "TRAVEL"]);
      const m = onlineMerchant(r, em.world, cat);
      const amount = round2(Math.max(250, 60 * c.scale * r.logNormal(2.3, 0.5)));
      const s = cnp(c, t, m, amount, a, channel);
      if (foreign >= 0) s.geo = { lat: CITIES[foreign]!.lat, lon: CITIES[foreign]!.lon };
      return emit(em, s, true, "ACCOUNT_TAKEOVER");
    },
  };
}

/** Card data skimmed at a compromised merchant, cashed out days later (cloned card or online). */
export function merchantCompromise(rng: Rng, card: Card | undefined, start: number): Incident {
  const n = 1 + rng.int(4);
  const cloned = rng.chance(0.6);
  const a = attacker(rng);
  let city = -1;
  return {
    pattern: "MERCHANT_COMPROMISE", card, k: 0,
    times: times(start, n, () => rng.range(10, 180) * 60_000),
    step(em, c, _k, t) {
      const r = em.rng;
      const world = em.world;
      if (!cloned) {
        const m = r.chance(0.4) ? r.pick(world.risky.filter((x) => x.city < 0).concat(onlineMerchant(r, world, "ONLINE_RETAIL"))) : onlineMerchant(r, world, r.pick(["ONLINE_RETAIL", "DIGITAL_GOODS"]));
        return emit(em, cnp(c, t, m, round2(Math.max(60, amountFor(r, m.category, 3 * c.scale))), a, "ONLINE"), true, "MERCHANT_COMPROMISE");
      }
      if (city < 0) city = pickCity(r, c.home);
      const cat: CategoryName = r.pick(["ELECTRONICS", "RETAIL", "ATM", "JEWELRY"]);
      const riskyHere = world.risky.filter((x) => x.city === city && x.category.name === cat);
      const m = riskyHere.length > 0 && r.chance(0.4) ? r.pick(riskyHere) : localMerchant(r, world, city, cat);
      const amount = cat === "ATM" ? 20 * (10 + r.int(20)) : round2(CATEGORIES[cat].median * r.logNormal(0.8, 0.5));
      return emit(em, present(c, t, m, amount, r), true, "MERCHANT_COMPROMISE");
    },
  };
}
