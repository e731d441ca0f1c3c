import { createRng, type Rng } from "../random.js";
import { CITIES } from "./cities.js";
import { createCard, createEmitter, emit, farCity, flightMs, legitSpec, type Card, type Emitter } from "./cards.js";
import { accountTakeover as ato, impossibleTravel as it, merchantCompromise as mc, velocityAttack as va, type Incident } from "./fraud.js";
import { CPP_DELAY_MS, CPP_TIER, nextTime } from "./stream.js";
import type { LabelledEvent } from "./types.js";
import { buildWorld, randomHex, type World } from "./world.js";

// Hand-sized, labelled scenarios for tests: one card's own history, then the case. Every builder
// returns the card's events in event-time order; the case's fraudulent events carry is_fraud and
// their pattern, the history (and any legitimate anchor event) is_fraud false.

export interface ScenarioOptions {
  seed?: number;
  /** Home city code from CITIES (default NYC). */
  home?: string;
  /** Days of ordinary history before startMs (default 10; 0 for none). */
  historyDays?: number;
  /** Mean gap of the history, hours (default 8). */
  historyGapHours?: number;
}

const worlds = new Map<number, World>();
function worldFor(seed: number): World {
  let w = worlds.get(seed);
  if (w === undefined) {
    // More compromised shops than the stream's default, so every city has one to be skimmed at.
    w = buildWorld(createRng(seed).fork("world"), { compromisedShare: 0.05 });
    worlds.set(seed, w);
  }
  return w;
}

interface Ctx {
  rng: Rng;
  em: Emitter;
  card: Card;
  out: LabelledEvent[];
}

function setup(cardHash: string, startMs: number, opts: ScenarioOptions, label: string): Ctx {
  const seed = opts.seed ?? 1;
  const rng = createRng(seed).fork(`${label}:${cardHash}`);
  const world = worldFor(seed);
  const home = CITIES.findIndex((c) => c.code === (opts.home ?? "NYC"));
  if (home < 0) throw new RangeError(`unknown home city ${opts.home ?? ""}`);
  const card = createCard(rng, world, 0, (opts.historyGapHours ?? 8) * 3_600_000, home);
  card.hash = cardHash;
  const em = createEmitter(rng, world, randomHex(rng, 6));
  const ctx: Ctx = { rng, em, card, out: [] };
  const days = opts.historyDays ?? 10;
  if (days > 0) history(ctx, startMs - days * 86_400_000, startMs);
  return ctx;
}

function history(ctx: Ctx, from: number, to: number): void {
  for (let t = nextTime(ctx.rng, ctx.card, from); t < to; t = nextTime(ctx.rng, ctx.card, t)) {
    ctx.out.push(emit(ctx.em, legitSpec(ctx.em, ctx.card, t), false));
  }
}

function run(ctx: Ctx, inc: Incident): LabelledEvent[] {
  inc.times.forEach((t, k) => ctx.out.push(inc.step(ctx.em, ctx.card, k, t)));
  return ctx.out;
}

/** Card testing: 8–30 small online charges seconds apart, then a few larger ones. */
export function velocityAttack(cardHash: string, startMs: number, opts: ScenarioOptions = {}): LabelledEvent[] {
  const ctx = setup(cardHash, startMs, opts, "velocity");
  return run(ctx, va(ctx.rng, ctx.card, startMs));
}

/** The holder pays at home at startMs; a cloned card is used abroad 5–60 minutes later. */
export function impossibleTravel(cardHash: string, startMs: number, opts: ScenarioOptions = {}): LabelledEvent[] {
  const ctx = setup(cardHash, startMs, opts, "travel");
  return run(ctx, it(ctx.rng, ctx.card, startMs));
}

/** New device and network, large amounts at new kinds of merchants. */
export function accountTakeover(cardHash: string, startMs: number, opts: ScenarioOptions = {}): LabelledEvent[] {
  const ctx = setup(cardHash, startMs, opts, "takeover");
  return run(ctx, ato(ctx.rng, ctx.card, startMs));
}

/**
 * The card is skimmed at a compromised shop two days before startMs, then cashed out from startMs.
 * The shop is one the CPP job already knows (Merchant.compromiseKnown), so from CPP_DELAY_MS after
 * the skim the card's events carry CPP_TIER in their reference signals, as in the stream.
 */
export function merchantCompromise(cardHash: string, startMs: number, opts: ScenarioOptions = {}): LabelledEvent[] {
  const ctx = setup(cardHash, startMs, opts, "breach");
  const shop = ctx.em.world.merchants.find((m) => m.compromiseKnown && m.city === ctx.card.home);
  if (shop === undefined) throw new Error("no known compromised merchant in the home city");
  const t = startMs - 2 * 86_400_000;
  const s = legitSpec(ctx.em, ctx.card, t);
  Object.assign(s, {
    merchant: shop, terminal: shop.terminals[0], channel: "IN_STORE", type: "PURCHASE", geo: shop.terminals[0]!.geo,
    device: undefined, ip: undefined, ipRep: undefined, cardPresent: true, currency: CITIES[shop.city]!.currency,
  });
  const skim = emit(ctx.em, s, false);
  const at = ctx.out.findIndex((e) => e.event.timestamp_utc > skim.event.timestamp_utc);
  ctx.out.splice(at < 0 ? ctx.out.length : at, 0, skim);
  const out = run(ctx, mc(ctx.rng, ctx.card, startMs));
  for (const e of out) if (Date.parse(e.event.timestamp_utc) >= t + CPP_DELAY_MS) e.refs.card_risk_tier = CPP_TIER;
  return out;
}

/**
 * A genuine trip: the holder's last purchase at home before startMs, a flight to a city in another
 * country (arriving no sooner than the flight takes), a few days of purchases there. All legitimate.
 */
export function legitTraveller(cardHash: string, startMs: number, opts: ScenarioOptions & { tripDays?: number } = {}): LabelledEvent[] {
  const ctx = setup(cardHash, startMs, opts, "traveller");
  const city = farCity(ctx.rng, ctx.card.home, 1500);
  const arrive = startMs + flightMs(ctx.card.home, city);
  const leave = arrive + (opts.tripDays ?? 3) * 86_400_000;
  ctx.card.trip = { city, depart: startMs, arrive, leave, back: leave + flightMs(city, ctx.card.home) };
  history(ctx, arrive, leave);
  return ctx.out;
}

/**
 * The holder's larger-than-usual but ordinary purchase at startMs: at a shop the card uses, in the
 * home city, card present, `factor` (default 4) times the card's median grocery-sized spend.
 */
export function bigUsualPurchase(cardHash: string, startMs: number, opts: ScenarioOptions & { factor?: number } = {}): LabelledEvent[] {
  const ctx = setup(cardHash, startMs, { historyDays: 30, ...opts }, "big");
  const shop = ctx.card.regulars.find((m) => m.category.name === "RETAIL") ?? ctx.card.regulars[0]!;
  const amounts = ctx.out.map((e) => e.event.amount_usd).sort((a, b) => a - b);
  const median = amounts.length > 0 ? amounts[Math.floor(amounts.length / 2)]! : 50;
  const s = legitSpec(ctx.em, ctx.card, startMs);
  Object.assign(s, {
    merchant: shop, terminal: shop.terminals[0], channel: "IN_STORE", type: "PURCHASE", geo: shop.terminals[0]!.geo,
    device: undefined, ip: undefined, ipRep: undefined, cardPresent: true, currency: CITIES[shop.city]!.currency,
    amount: Math.round(median * (opts.factor ?? 4) * 100) / 100,
  });
  ctx.out.push(emit(ctx.em, s, false));
  return ctx.out;
}
