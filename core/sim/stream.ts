import { createRng, type Rng } from "../random.js";
import { CITIES } from "./cities.js";
import { cityAt, createCard, createEmitter, emit, flightMs, legitSpec, pickCity, skipFlight, type Card } from "./cards.js";
import {
  accountTakeover, EVENT_SHARE, impossibleTravel, MEAN_EVENTS, merchantCompromise, velocityAttack, type Incident,
} from "./fraud.js";
import { FRAUD_PATTERNS, type FraudPattern, type LabelledEvent } from "./types.js";
import { buildWorld, randomHex } from "./world.js";

// The labelled traffic stream: one Poisson process per card (with a day/night rhythm in the
// card's home time zone) plus scripted fraud incidents, merged in event-time order by a binary
// heap, so cards interleave as they would on a real bus.

export interface StreamOptions {
  seed: number;
  cards: number;
  /** Events to yield in total (legitimate and fraudulent). */
  events: number;
  /** Event time of the start of the stream, epoch ms. */
  startMs: number;
  /** Approximate share of events that are fraud, 0..0.5. */
  fraudRate: number;
  /** Fraud patterns to inject (default: all four). */
  patterns?: readonly FraudPattern[];
  /** Approximate number of merchants in the world. */
  merchants?: number;
  /** Mean gap between one card's own events, seconds (default 8 h). */
  meanGapSeconds?: number;
  /** Share of cards that take one trip abroad or to another city (default 0.04). */
  travelShare?: number;
}

/** Acceptance per local hour: few purchases at night, most in the day. */
const DIURNAL = [0.15, 0.1, 0.08, 0.08, 0.1, 0.2, 0.4, 0.6, 0.8, 0.9, 1, 1, 1, 1, 0.95, 0.95, 0.95, 1, 1, 0.95, 0.85, 0.7, 0.5, 0.3];
const DIURNAL_MEAN = DIURNAL.reduce((a, b) => a + b, 0) / 24;
const HOUR_MS = 3_600_000;

/**
 * Common point of purchase: once a merchant is known compromised (Merchant.compromiseKnown), the
 * ops risk job publishes an elevated tier for every card seen there in-store; the simulator puts
 * it on all of that card's events (the holder's own too) from CPP_DELAY_MS after the exposure.
 * Cards exposed at a compromised merchant nobody has identified carry no tier.
 */
export const CPP_TIER = "MEDIUM" as const;
export const CPP_DELAY_MS = 6 * HOUR_MS;

function check(opts: StreamOptions): void {
  const bad = (field: string, why: string) => new RangeError(`generateStream: ${field} ${why}`);
  if (!Number.isInteger(opts.cards) || opts.cards < 1) throw bad("cards", "must be a positive integer");
  if (!Number.isInteger(opts.events) || opts.events < 0) throw bad("events", "must be a non-negative integer");
  if (!Number.isFinite(opts.startMs)) throw bad("startMs", "must be epoch milliseconds");
  if (!(opts.fraudRate >= 0 && opts.fraudRate <= 0.5)) throw bad("fraudRate", "must be within 0..0.5");
  if (opts.meanGapSeconds !== undefined && !(opts.meanGapSeconds > 0)) throw bad("meanGapSeconds", "must be positive");
}

/** Next event time of a card after t: exponential gaps thinned by the local hour. */
export function nextTime(rng: Rng, card: Card, t: number): number {
  const tz = CITIES[cityAt(card, t)]!.tz;
  let x = t;
  for (;;) {
    x += rng.exponential(card.gapMs * DIURNAL_MEAN);
    const h = Math.floor(((x / HOUR_MS + tz) % 24 + 24) % 24);
    if (rng.next() < DIURNAL[h]!) return Math.round(x);
  }
}

export function* generateStream(opts: StreamOptions): Generator<LabelledEvent, void, undefined> {
  check(opts);
  const root = createRng(opts.seed);
  const world = buildWorld(root.fork("world"), opts.merchants === undefined ? {} : { merchants: opts.merchants });
  const meanGapMs = (opts.meanGapSeconds ?? 8 * 3600) * 1000;
  const cardRng = root.fork("cards");
  const cards: Card[] = [];
  let rate = 0;
  for (let i = 0; i < opts.cards; i++) {
    const c = createCard(cardRng, world, i, meanGapMs);
    cards.push(c);
    rate += 1 / c.gapMs;
  }
  const legitEvents = opts.events * (1 - opts.fraudRate);
  const span = legitEvents / rate;
  const start = opts.startMs;

  const tripRng = root.fork("trips");
  const travelShare = opts.travelShare ?? 0.04;
  for (const c of cards) {
    if (!tripRng.chance(travelShare)) continue;
    const city = pickCity(tripRng, c.home);
    const depart = Math.round(start + tripRng.next() * span);
    const arrive = depart + flightMs(c.home, city);
    const leave = arrive + Math.round(tripRng.range(2, 8) * 24 * HOUR_MS);
    c.trip = { city, depart, arrive, leave, back: leave + flightMs(city, c.home) };
  }

  // Fraud incidents: numbers per pattern from the fraud rate, start times after a warm-up so the
  // victims have some history, spread over the expected span of the stream.
  const fraudRng = root.fork("fraud");
  const patterns = opts.patterns ?? FRAUD_PATTERNS;
  const shareTotal = patterns.reduce((a, p) => a + EVENT_SHARE[p], 0);
  const incidents: Incident[] = [];
  const make = { VELOCITY_ATTACK: velocityAttack, IMPOSSIBLE_TRAVEL: impossibleTravel, ACCOUNT_TAKEOVER: accountTakeover, MERCHANT_COMPROMISE: merchantCompromise };
  for (const p of patterns) {
    const expected = (opts.events * opts.fraudRate * EVENT_SHARE[p]) / shareTotal / MEAN_EVENTS[p];
    const n = Math.floor(expected) + (fraudRng.next() < expected - Math.floor(expected) ? 1 : 0);
    for (let i = 0; i < n; i++) {
      const t = start + span * fraudRng.range(0.15, 0.98);
      const victim = p === "MERCHANT_COMPROMISE" ? undefined : cards[fraudRng.int(cards.length)];
      incidents.push(make[p](fraudRng, victim, t));
    }
  }

  const traffic = root.fork("traffic");
  const em = createEmitter(traffic, world, randomHex(root.fork("run"), 6));
  const nCards = cards.length;
  const n = nCards + incidents.length;
  const key = new Float64Array(n);
  const heap = new Int32Array(n);
  let size = 0;
  const less = (a: number, b: number) => key[a]! < key[b]! || (key[a] === key[b] && a < b);
  const siftDown = (i: number) => {
    const id = heap[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= size) break;
      const r = l + 1;
      const m = r < size && less(heap[r]!, heap[l]!) ? r : l;
      if (!less(heap[m]!, id)) break;
      heap[i] = heap[m]!;
      i = m;
    }
    heap[i] = id;
  };
  const push = (id: number) => {
    let i = size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(id, heap[p]!)) break;
      heap[i] = heap[p]!;
      i = p;
    }
    heap[i] = id;
  };
  for (let i = 0; i < nCards; i++) {
    key[i] = nextTime(traffic, cards[i]!, start);
    push(i);
  }
  incidents.forEach((inc, j) => {
    key[nCards + j] = inc.times[0]!;
    push(nCards + j);
  });

  // Cards that paid at a compromised merchant, in time order: the pool MERCHANT_COMPROMISE uses.
  const exposedCard: number[] = [];
  const exposedAt: number[] = [];
  // Per card: event time from which reference data holds its CPP tier (Infinity: none).
  const cppFrom = new Float64Array(nCards).fill(Infinity);
  let emitted = 0;
  while (emitted < opts.events && size > 0) {
    const id = heap[0]!;
    const t = key[id]!;
    if (id < nCards) {
      const card = cards[id]!;
      const moved = skipFlight(card, t);
      if (moved !== t) {
        key[id] = moved;
        siftDown(0);
        continue;
      }
      const spec = legitSpec(em, card, t);
      if (spec.merchant.compromised && spec.channel === "IN_STORE") {
        exposedCard.push(id);
        exposedAt.push(t);
        if (spec.merchant.compromiseKnown && t + CPP_DELAY_MS < cppFrom[id]!) cppFrom[id] = t + CPP_DELAY_MS;
      }
      key[id] = nextTime(traffic, card, t);
      siftDown(0);
      emitted++;
      const ev = emit(em, spec, false);
      if (t >= cppFrom[id]!) ev.refs.card_risk_tier = CPP_TIER;
      yield ev;
    } else {
      const inc = incidents[id - nCards]!;
      if (inc.card === undefined) inc.card = victimOfBreach(traffic, cards, exposedCard, exposedAt, t);
      const k = inc.k++;
      if (inc.k < inc.times.length) {
        key[id] = inc.times[inc.k]!;
        siftDown(0);
      } else {
        heap[0] = heap[--size]!;
        if (size > 0) siftDown(0);
      }
      emitted++;
      const ev = inc.step(em, inc.card, k, t);
      if (t >= cppFrom[inc.card.index]!) ev.refs.card_risk_tier = CPP_TIER;
      yield ev;
    }
  }
}

/** A card exposed at a compromised merchant at least 6 h before t (any card if none yet). */
function victimOfBreach(rng: Rng, cards: Card[], exposedCard: number[], exposedAt: number[], t: number): Card {
  let lo = 0;
  let hi = exposedAt.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (exposedAt[mid]! <= t - 6 * HOUR_MS) lo = mid + 1;
    else hi = mid;
  }
  return cards[lo > 0 ? exposedCard[rng.int(lo)]! : rng.int(cards.length)]!;
}

/** Legitimate traffic only (fraudRate 0), e.g. for training the Isolation Forest. */
export function generateNormalTraffic(opts: Omit<StreamOptions, "fraudRate" | "patterns">): Generator<LabelledEvent, void, undefined> {
  return generateStream({ ...opts, fraudRate: 0 });
}
