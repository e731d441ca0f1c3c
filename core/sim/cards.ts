import { haversineKm } from "../geo/geo.js";
import type { Rng } from "../random.js";
import type { Channel, ReferenceSignals, TransactionEvent } from "../schemas.js";
import { CITIES } from "./cities.js";
import { isoFormatter, type IsoFormatter } from "./time.js";
import type { LabelledEvent } from "./types.js";
import {
  CATEGORIES, LOCAL_INDEX, newCardHash, newDevice, newIpHash,
  type Category, type CategoryName, type Geo, type Merchant, type Terminal, type World,
} from "./world.js";

// Card holders and their legitimate spending.

export interface Trip {
  city: number;
  /** Leaves home (no events until arrival), arrives, leaves the destination, is home again. */
  depart: number;
  arrive: number;
  leave: number;
  back: number;
}

export interface Card {
  index: number;
  hash: string;
  bin: string;
  home: number;
  /** Multiplies every category's median amount: some people spend more. */
  scale: number;
  /** Cumulative probabilities of IN_STORE, IN_STORE+ATM, …+MOBILE (the rest is ONLINE). */
  pStore: number;
  pAtm: number;
  pMobile: number;
  /** Shops this card returns to (in its home city). */
  regulars: Merchant[];
  devices: string[];
  ips: string[];
  ipRep: number[];
  /** Mean gap between the card's events, ms (before the day/night rhythm). */
  gapMs: number;
  trip: Trip | undefined;
}

const BINS = ["411111", "453211", "492181", "510510", "542418", "555544", "601100", "371449", "356600", "622126"];
const cityWeights = CITIES.map((c) => c.weight);
const round2 = (x: number) => Math.round(x * 100) / 100;
const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Shared emission context of one simulation run. */
export interface Emitter {
  rng: Rng;
  world: World;
  runTag: string;
  seq: number;
  iso: IsoFormatter;
  /** Reused by legitSpec: the spec is consumed by emit before the next one is built. */
  scratch: Spec | undefined;
}

export function createEmitter(rng: Rng, world: World, runTag: string): Emitter {
  return { rng, world, runTag, seq: 0, iso: isoFormatter(), scratch: undefined };
}

export function pickCity(rng: Rng, except = -1): number {
  for (;;) {
    const c = rng.weighted(cityWeights);
    if (c !== except) return c;
  }
}

/** A city in another country at least `minKm` away. */
export function farCity(rng: Rng, from: number, minKm = 2500): number {
  const a = CITIES[from]!;
  for (let i = 0; i < 200; i++) {
    const c = rng.int(CITIES.length);
    const b = CITIES[c]!;
    if (b.country !== a.country && haversineKm(a.lat, a.lon, b.lat, b.lon) >= minKm) return c;
  }
  throw new Error(`no city ${minKm} km from ${a.name}`);
}

export function flightMs(from: number, to: number): number {
  const a = CITIES[from]!;
  const b = CITIES[to]!;
  // 800 km/h cruising plus 2 h at the airports: a plausible door-to-door time.
  return Math.round((haversineKm(a.lat, a.lon, b.lat, b.lon) / 800 + 2) * 3_600_000);
}

export function localMerchant(rng: Rng, world: World, city: number, cat: CategoryName): Merchant {
  return rng.pick(world.local[city]![LOCAL_INDEX[cat]]!);
}

export function onlineMerchant(rng: Rng, world: World, cat: CategoryName): Merchant {
  return rng.pick(world.online[cat]!);
}

function channelMix(rng: Rng): Pick<Card, "pStore" | "pAtm" | "pMobile"> {
  const w = [rng.range(3, 7), rng.range(0.3, 1.2), rng.range(0.5, 2.5), rng.range(1, 4)];
  const total = w[0]! + w[1]! + w[2]! + w[3]!;
  return { pStore: w[0]! / total, pAtm: (w[0]! + w[1]!) / total, pMobile: (w[0]! + w[1]! + w[2]!) / total };
}

const REGULAR_MIX: readonly CategoryName[] = ["GROCERY", "GROCERY", "GROCERY", "FUEL", "RESTAURANT", "RESTAURANT", "RESTAURANT", "RESTAURANT", "RETAIL", "RETAIL"];

export function createCard(rng: Rng, world: World, index: number, meanGapMs: number, home = pickCity(rng)): Card {
  const regulars: Merchant[] = [];
  for (const cat of REGULAR_MIX) regulars.push(localMerchant(rng, world, home, cat));
  const nDev = 1 + rng.int(3);
  const nIp = 1 + rng.int(3);
  const ips = Array.from({ length: nIp }, () => newIpHash(rng));
  return {
    index,
    hash: newCardHash(rng),
    bin: rng.pick(BINS),
    home,
    scale: rng.logNormal(0, 0.45),
    ...channelMix(rng),
    regulars,
    devices: Array.from({ length: nDev }, () => newDevice(rng)),
    ips,
    ipRep: ips.map(() => round3(rng.range(0, 0.12))),
    gapMs: meanGapMs * rng.logNormal(-0.18, 0.6),
    trip: undefined,
  };
}

/** Where the card holder is at time t (home, or the trip's destination). */
export function cityAt(card: Card, t: number): number {
  const tr = card.trip;
  return tr !== undefined && t >= tr.arrive && t < tr.leave ? tr.city : card.home;
}

/** Moves t out of the hours the card holder spends in a plane. */
export function skipFlight(card: Card, t: number): number {
  const tr = card.trip;
  if (tr === undefined) return t;
  if (t >= tr.depart && t < tr.arrive) return tr.arrive + (t - tr.depart) % 3_600_000;
  if (t >= tr.leave && t < tr.back) return tr.back + (t - tr.leave) % 3_600_000;
  return t;
}

export function amountFor(rng: Rng, cat: Category, scale: number): number {
  if (cat.name === "ATM") return 20 * Math.max(1, Math.round((cat.median * scale * rng.logNormal(0, cat.sigma)) / 20));
  return Math.max(0.5, round2(cat.median * scale * rng.logNormal(0, cat.sigma)));
}

export interface Spec {
  card: Card;
  t: number;
  merchant: Merchant;
  terminal: Terminal | undefined;
  channel: Channel;
  type: TransactionEvent["transaction_type"];
  amount: number;
  currency: TransactionEvent["currency"];
  device: string | undefined;
  ip: string | undefined;
  ipRep: number | undefined;
  geo: Geo | undefined;
  cardPresent: boolean | undefined;
  binBlocked: boolean;
  ipBlocked: boolean;
}

export function emit(em: Emitter, s: Spec, isFraud: boolean, pattern?: LabelledEvent["pattern"]): LabelledEvent {
  const event: TransactionEvent = {
    transaction_id: `TXN-${em.runTag}.${em.seq++}`,
    card_number_hash: s.card.hash,
    merchant_id: s.merchant.id,
    merchant_category_code: s.merchant.category.mcc,
    amount_usd: s.amount,
    currency: s.currency,
    timestamp_utc: em.iso(s.t),
    terminal_id: s.terminal?.id,
    device_fingerprint: s.device,
    ip_address_hash: s.ip,
    geolocation: s.geo,
    transaction_type: s.type,
    channel: s.channel,
    card_present: s.cardPresent,
    card_bin: s.card.bin,
  };
  const refs: ReferenceSignals = {
    status: "OK",
    merchant_risk_score: s.merchant.risk,
    ip_reputation_score: s.ipRep,
    terminal_risk_score: s.terminal?.risk,
    bin_blocked: s.binBlocked,
    ip_blocked: s.ipBlocked,
    card_risk_tier: undefined,
  };
  return isFraud ? { event, is_fraud: true, pattern, refs } : { event, is_fraud: false, pattern: undefined, refs };
}

const ONLINE_MIX: CategoryName[] = ["ONLINE_RETAIL", "ONLINE_RETAIL", "ONLINE_RETAIL", "ONLINE_RETAIL", "ONLINE_RETAIL", "ONLINE_RETAIL", "ONLINE_RETAIL", "DIGITAL_GOODS", "DIGITAL_GOODS", "TRAVEL"];
const MOBILE_MIX: CategoryName[] = ["RESTAURANT", "RESTAURANT", "GROCERY", "RETAIL", "ONLINE_RETAIL", "DIGITAL_GOODS"];
const STORE_MIX: CategoryName[] = ["GROCERY", "GROCERY", "GROCERY", "FUEL", "RESTAURANT", "RESTAURANT", "RESTAURANT", "RETAIL", "RETAIL", "ELECTRONICS"];

/** A jittered point near a city (phone GPS, IP geolocation), on a ~1 km grid. */
function near(rng: Rng, city: number): Geo {
  const c = CITIES[city]!;
  return { lat: Math.round((c.lat + rng.range(-0.01, 0.01)) * 100) / 100, lon: Math.round((c.lon + rng.range(-0.01, 0.01)) * 100) / 100 };
}

/**
 * The card holder's own next transaction at time t. Returns the emitter's scratch spec (valid
 * until the next call): emit it, or copy it, before asking for another.
 */
export function legitSpec(em: Emitter, card: Card, t: number): Spec {
  const rng = em.rng;
  const world = em.world;
  const city = cityAt(card, t);
  const away = city !== card.home;
  const u = rng.next();
  const channel: Channel = u < card.pStore ? "IN_STORE" : u < card.pAtm ? "ATM" : u < card.pMobile ? "MOBILE" : "ONLINE";
  const s = (em.scratch ??= {} as Spec);
  s.card = card; s.t = t; s.terminal = undefined; s.channel = channel;
  s.type = "PURCHASE"; s.amount = 0; s.currency = CITIES[city]!.currency; s.device = undefined;
  s.ip = undefined; s.ipRep = undefined; s.geo = undefined; s.cardPresent = undefined;
  s.binBlocked = false; s.ipBlocked = false;
  if (channel === "IN_STORE" || channel === "ATM") {
    s.merchant = channel === "ATM"
      ? localMerchant(rng, world, city, "ATM")
      : !away && rng.chance(0.75) ? rng.pick(card.regulars) : localMerchant(rng, world, city, rng.pick(STORE_MIX));
    s.terminal = rng.pick(s.merchant.terminals);
    s.geo = s.terminal.geo;
    s.cardPresent = rng.chance(0.97) ? true : undefined;
    if (channel === "ATM") s.type = rng.chance(0.04) ? "BALANCE_INQUIRY" : "WITHDRAWAL";
  } else {
    const cat = rng.pick(channel === "ONLINE" ? ONLINE_MIX : MOBILE_MIX);
    s.merchant = CATEGORIES[cat].online ? onlineMerchant(rng, world, cat) : localMerchant(rng, world, city, cat);
    if (s.merchant.city < 0) s.currency = CITIES[card.home]!.currency;
    // Phones are mostly the first device; a rare new device or network is ordinary life too.
    if (rng.chance(0.004)) card.devices.push(newDevice(rng));
    s.device = channel === "MOBILE" || rng.chance(0.5) ? card.devices[0] : rng.pick(card.devices);
    if (away || rng.chance(0.04)) {
      s.ip = newIpHash(rng);
      s.ipRep = round3(rng.range(0.02, 0.35));
    } else {
      const k = rng.int(card.ips.length);
      s.ip = card.ips[k];
      s.ipRep = card.ipRep[k];
    }
    if (rng.chance(channel === "MOBILE" ? 0.6 : 0.25)) s.geo = near(rng, city);
    s.cardPresent = channel === "MOBILE" || rng.chance(0.3) ? false : undefined;
  }
  const r = rng.next();
  if (s.type === "BALANCE_INQUIRY") s.amount = 0;
  else {
    s.amount = amountFor(rng, s.merchant.category, card.scale);
    if (s.type === "PURCHASE" && r < 0.01) s.type = "REFUND";
    else if (s.type === "PURCHASE" && r < 0.03 && (s.merchant.category.name === "FUEL" || s.merchant.category.name === "TRAVEL")) s.type = "PREAUTH";
  }
  return s;
}
