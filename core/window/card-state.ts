import type { TransactionEvent } from "../schemas.js";
import { NO_COUNTRY, countryIdAt } from "../geo/geo.js";
import { Baseline, N_METRICS } from "../stats/baseline.js";
import { fnv1a } from "./hash.js";
import { parseEventTime } from "./time.js";

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
/** The longest sliding window (unique_countries_24hr); older events leave the recent buffer. */
export const RECENT_WINDOW_MS = DAY_MS;
/** At most this many recent events per card; beyond it the oldest go first (counts then saturate). */
export const MAX_RECENT = 128;
export const HISTORY_DAYS = 30;
export const MAX_DEVICES = 16;
const INITIAL_CAPACITY = 8;

/**
 * One card's recent behaviour, on event time. Bounded per card:
 * - recent events of the last 24 h (time, amount, merchant hash, country, lat/lon) in typed arrays
 *   sorted by event time, at most MAX_RECENT (128) of them (≈ 5 kB when full, 8 slots to start);
 * - 30 daily buckets {count, sum, sum of squares} of amounts for the 30-day average/deviation;
 * - at most MAX_DEVICES (16) device fingerprint hashes, least recently seen replaced first;
 * - the tier-2 baseline (stats/baseline.ts, ≈ 3.8 kB);
 * - the latest located event that left the buffer (anchor for geo features).
 *
 * Out-of-order events are inserted at their event-time position. Late events — at or before
 * watermark − 24 h, where the watermark is the latest event time applied — cannot be placed in the
 * windows any more: they are scored against what the state holds for their time (their velocity
 * windows are then empty) and, when applied, update only the 30-day buckets and the device list
 * (buckets more than 30 days behind are dropped too). `lateCount` counts them.
 *
 * Fields are public for the feature extractor and the codec; treat them as read-only elsewhere.
 */
export class CardState {
  t = new Float64Array(INITIAL_CAPACITY);
  amt = new Float64Array(INITIAL_CAPACITY);
  merch = new Int32Array(INITIAL_CAPACITY);
  country = new Int16Array(INITIAL_CAPACITY);
  lat = new Float64Array(INITIAL_CAPACITY);
  lon = new Float64Array(INITIAL_CAPACITY);
  /** Recent events live in [start, end). */
  start = 0;
  end = 0;
  watermarkMs = -Infinity;
  count = 0;
  lateCount = 0;
  /** Latest event time that left the buffer (NaN: none). */
  evictedMs = NaN;
  anchorT = NaN;
  anchorLat = NaN;
  anchorLon = NaN;
  anchorCountry = NO_COUNTRY;
  readonly dayIdx = new Int32Array(HISTORY_DAYS).fill(-1);
  readonly dayCount = new Float64Array(HISTORY_DAYS);
  readonly daySum = new Float64Array(HISTORY_DAYS);
  readonly daySumSq = new Float64Array(HISTORY_DAYS);
  readonly devHash = new Int32Array(MAX_DEVICES);
  readonly devSeen = new Float64Array(MAX_DEVICES);
  devLen = 0;
  baseline = new Baseline();

  static empty(): CardState {
    return new CardState();
  }

  get eventCount(): number {
    return this.count;
  }

  get lastEventMs(): number | undefined {
    return this.count === 0 || this.watermarkMs === -Infinity ? undefined : this.watermarkMs;
  }

  get recentCount(): number {
    return this.end - this.start;
  }

  /** Applies an event. Baseline observations are computed here from the windows as of the event. */
  apply(e: TransactionEvent): void {
    const T = parseEventTime(e.timestamp_utc);
    const obs = scratchObs;
    this.observe(T, e.amount_usd, obs);
    this.applyParsed(e, T, obs);
  }

  /**
   * Applies an event whose time is already parsed, with its tier-2 observation vector (as
   * `observe` fills it) and optionally its country id; the engine passes what it computed for
   * scoring to avoid a second scan and lookup.
   */
  applyParsed(e: TransactionEvent, T: number, obs: Float64Array, country?: number): void {
    this.count++;
    if (e.device_fingerprint !== undefined) this.rememberDevice(fnv1a(e.device_fingerprint), T);
    this.addToDay(T, e.amount_usd);
    if (T <= this.watermarkMs - RECENT_WINDOW_MS) {
      this.lateCount++;
      return;
    }
    this.baseline.push(obs);
    if (T > this.watermarkMs) {
      this.watermarkMs = T;
      const edge = T - RECENT_WINDOW_MS;
      while (this.start < this.end && (this.t[this.start] ?? 0) <= edge) this.evictOldest();
    }
    if (this.end - this.start >= MAX_RECENT) this.evictOldest();
    this.makeRoom();
    const g = e.geolocation;
    const c = country ?? (g ? countryIdAt(g.lat, g.lon) : NO_COUNTRY);
    this.insert(T, e.amount_usd, fnv1a(e.merchant_id), c, g ? g.lat : NaN, g ? g.lon : NaN);
  }

  /**
   * Tier-2 observation as of time T including an event of `amount` at T: counts and spend of the
   * 1/5/15-minute windows (half-open (T − w, T], only events at or before T), money as log1p.
   */
  observe(T: number, amount: number, out: Float64Array): void {
    let c1 = 1, c5 = 1, c15 = 1, s1 = amount, s5 = amount, s15 = amount;
    const e1 = T - MINUTE_MS, e5 = T - 5 * MINUTE_MS, e15 = T - 15 * MINUTE_MS;
    const t = this.t, a = this.amt;
    for (let i = this.end - 1; i >= this.start; i--) {
      const ti = t[i] ?? 0;
      if (ti > T) continue;
      if (ti <= e15) break;
      const ai = a[i] ?? 0;
      c15++; s15 += ai;
      if (ti > e5) { c5++; s5 += ai; if (ti > e1) { c1++; s1 += ai; } }
    }
    out[0] = c1; out[1] = c5; out[2] = c15;
    out[3] = Math.log1p(s1); out[4] = Math.log1p(s5); out[5] = Math.log1p(s15);
    out[6] = Math.log1p(amount);
  }

  /** Whether a device hash is known on this card. */
  knowsDevice(h: number): boolean {
    for (let i = 0; i < this.devLen; i++) if (this.devHash[i] === h) return true;
    return false;
  }

  private rememberDevice(h: number, T: number): void {
    for (let i = 0; i < this.devLen; i++) {
      if (this.devHash[i] === h) {
        if (T > (this.devSeen[i] ?? 0)) this.devSeen[i] = T;
        return;
      }
    }
    let slot = this.devLen;
    if (slot === MAX_DEVICES) {
      slot = 0;
      for (let i = 1; i < MAX_DEVICES; i++) if ((this.devSeen[i] ?? 0) < (this.devSeen[slot] ?? 0)) slot = i;
    } else {
      this.devLen++;
    }
    this.devHash[slot] = h;
    this.devSeen[slot] = T;
  }

  private addToDay(T: number, amount: number): void {
    const day = Math.floor(T / DAY_MS);
    if (day <= Math.floor(this.watermarkMs / DAY_MS) - HISTORY_DAYS) return; // beyond the 30 days held: dropped
    const slot = ((day % HISTORY_DAYS) + HISTORY_DAYS) % HISTORY_DAYS;
    const held = this.dayIdx[slot] ?? -1;
    if (held > day) return; // slot already holds a newer day (defensive; the check above covers it)
    if (held < day) {
      this.dayIdx[slot] = day;
      this.dayCount[slot] = 0;
      this.daySum[slot] = 0;
      this.daySumSq[slot] = 0;
    }
    this.dayCount[slot] = (this.dayCount[slot] ?? 0) + 1;
    this.daySum[slot] = (this.daySum[slot] ?? 0) + amount;
    this.daySumSq[slot] = (this.daySumSq[slot] ?? 0) + amount * amount;
  }

  private evictOldest(): void {
    const i = this.start++;
    const ti = this.t[i] ?? 0;
    if (!(ti <= this.evictedMs)) this.evictedMs = ti;
    const lat = this.lat[i] ?? NaN;
    if (!Number.isNaN(lat) && !(ti < this.anchorT)) {
      this.anchorT = ti;
      this.anchorLat = lat;
      this.anchorLon = this.lon[i] ?? NaN;
      this.anchorCountry = this.country[i] ?? NO_COUNTRY;
    }
  }

  /** Guarantees a free slot at `end`: compacts to the front, or doubles capacity up to MAX_RECENT. */
  private makeRoom(): void {
    if (this.end < this.t.length) return;
    const len = this.end - this.start;
    if (len < this.t.length && this.start > 0 && (this.t.length >= MAX_RECENT || len * 2 < this.t.length)) {
      for (const arr of [this.t, this.amt, this.merch, this.country, this.lat, this.lon]) arr.copyWithin(0, this.start, this.end);
    } else {
      const cap = Math.min(MAX_RECENT, this.t.length * 2);
      this.t = grow(this.t, new Float64Array(cap), this.start, this.end);
      this.amt = grow(this.amt, new Float64Array(cap), this.start, this.end);
      this.merch = grow(this.merch, new Int32Array(cap), this.start, this.end);
      this.country = grow(this.country, new Int16Array(cap), this.start, this.end);
      this.lat = grow(this.lat, new Float64Array(cap), this.start, this.end);
      this.lon = grow(this.lon, new Float64Array(cap), this.start, this.end);
    }
    this.start = 0;
    this.end = len;
  }

  /** Inserts at the event-time position (after events with the same time: arrival order). */
  private insert(T: number, amount: number, merch: number, country: number, lat: number, lon: number): void {
    let p = this.end;
    while (p > this.start && (this.t[p - 1] ?? 0) > T) p--;
    if (p < this.end) {
      for (const arr of [this.t, this.amt, this.merch, this.country, this.lat, this.lon]) arr.copyWithin(p + 1, p, this.end);
    }
    this.t[p] = T;
    this.amt[p] = amount;
    this.merch[p] = merch;
    this.country[p] = country;
    this.lat[p] = lat;
    this.lon[p] = lon;
    this.end++;
  }
}

function grow<A extends Float64Array | Int32Array | Int16Array>(from: A, to: A, start: number, end: number): A {
  to.set(from.subarray(start, end));
  return to;
}

const scratchObs = new Float64Array(N_METRICS);
