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
/** IP address hashes remembered per card (least recently seen replaced first). */
export const MAX_IPS = 16;
/** Merchant category codes remembered per card (least recently seen replaced first). */
export const MAX_MCCS = 32;
/** Doubles per device / IP record: hash, last seen ms, first seen ms (−Infinity: before format 2). */
export const ID_REC = 3;
/** Doubles per MCC record: numeric MCC, last seen ms. */
export const MCC_REC = 2;
/**
 * A state migrated from format 1 had no IP / MCC lists: for this long after the migration every IP
 * and MCC would look new, so the novelty flags stay 0 until the lists have filled (see codec.ts).
 */
export const NOVELTY_WARMUP_MS = 14 * 24 * 60 * 60_000;
const INITIAL_CAPACITY = 8;
/** Doubles per recent-event record: time, amount, merchant hash, country id, lat, lon. */
export const REC = 6;
/** Doubles per daily bucket: day index, count, sum, sum of squares. */
export const DAY_REC = 4;

/**
 * One card's recent behaviour, on event time. Bounded per card:
 * - recent events of the last 24 h (time, amount, merchant hash, country, lat/lon) as 48-byte
 *   records in one Float64Array sorted by event time, at most MAX_RECENT (128) of them (6 kB when
 *   full; 8 records to start, doubling as needed);
 * - 30 daily buckets {count, sum, sum of squares} of amounts for the 30-day average/deviation (1 kB);
 * - at most MAX_DEVICES (16) device fingerprint hashes and MAX_IPS (16) IP address hashes with
 *   first/last seen times, and MAX_MCCS (32) merchant category codes, least recently seen replaced
 *   first (for the novelty features: new IP, new MCC, device+IP pair first seen within 24 h);
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
export class CardWindow {
  /**
   * Recent events as records of REC doubles [time, amount, merchant hash, country id, lat, lon]
   * (lat/lon NaN when absent), records [start, end) in event-time order. One array, so a card's
   * recent history is a few contiguous cache lines.
   */
  rec = new Float64Array(INITIAL_CAPACITY * REC);
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
  /** Daily buckets [day index (−1 empty), count, sum, sum of squares] × HISTORY_DAYS, slot = day mod 30. */
  readonly days = new Float64Array(HISTORY_DAYS * DAY_REC).fill(-1);
  /** Devices [hash, last seen ms, first seen ms] × MAX_DEVICES; devLen in use. */
  readonly dev = new Float64Array(MAX_DEVICES * ID_REC);
  devLen = 0;
  /** IP address hashes [hash, last seen ms, first seen ms] × MAX_IPS; ipLen in use. */
  readonly ips = new Float64Array(MAX_IPS * ID_REC);
  ipLen = 0;
  /** Merchant category codes [mcc, last seen ms] × MAX_MCCS; mccLen in use. */
  readonly mccs = new Float64Array(MAX_MCCS * MCC_REC);
  mccLen = 0;
  /** IP/MCC novelty is reported only for events at or after this time (set by a format-1 migration). */
  noveltyFromMs = -Infinity;
  baseline = new Baseline();

  static empty(): CardWindow {
    return new CardWindow();
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
    if (e.device_fingerprint !== undefined) remember(this.dev, this, "devLen", MAX_DEVICES, fnv1a(e.device_fingerprint), T);
    if (e.ip_address_hash !== undefined) remember(this.ips, this, "ipLen", MAX_IPS, fnv1a(e.ip_address_hash), T);
    this.rememberMcc(mccNumber(e.merchant_category_code), T);
    this.addToDay(T, e.amount_usd);
    if (T <= this.watermarkMs - RECENT_WINDOW_MS) {
      this.lateCount++;
      return;
    }
    this.baseline.push(obs);
    if (T > this.watermarkMs) {
      this.watermarkMs = T;
      const edge = T - RECENT_WINDOW_MS;
      while (this.start < this.end && (this.rec[this.start * REC] ?? 0) <= edge) this.evictOldest();
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
    const r = this.rec;
    for (let i = this.end - 1; i >= this.start; i--) {
      const o = i * REC;
      const ti = r[o] ?? 0;
      if (ti > T) continue;
      if (ti <= e15) break;
      const ai = r[o + 1] ?? 0;
      c15++; s15 += ai;
      if (ti > e5) { c5++; s5 += ai; if (ti > e1) { c1++; s1 += ai; } }
    }
    out[0] = c1; out[1] = c5; out[2] = c15;
    out[3] = Math.log1p(s1); out[4] = Math.log1p(s5); out[5] = Math.log1p(s15);
    out[6] = Math.log1p(amount);
  }

  /** Whether a device hash is known on this card. */
  knowsDevice(h: number): boolean {
    return firstSeen(this.dev, this.devLen, h) !== undefined;
  }

  /** First-seen time of a device hash on this card; undefined when unknown. */
  deviceFirstSeen(h: number): number | undefined {
    return firstSeen(this.dev, this.devLen, h);
  }

  /** First-seen time of an IP address hash on this card; undefined when unknown. */
  ipFirstSeen(h: number): number | undefined {
    return firstSeen(this.ips, this.ipLen, h);
  }

  /** Whether a merchant category code (as mccNumber gives it) is known on this card. */
  knowsMcc(m: number): boolean {
    const d = this.mccs;
    for (let i = 0; i < this.mccLen; i++) if (d[MCC_REC * i] === m) return true;
    return false;
  }

  /** Event times of the recent buffer, oldest first (tests, diagnostics). */
  recentTimes(): number[] {
    const out: number[] = [];
    for (let i = this.start; i < this.end; i++) out.push(this.rec[i * REC] ?? 0);
    return out;
  }

  /** Capacity of the recent buffer in events. */
  get recentCapacity(): number {
    return this.rec.length / REC;
  }

  private rememberMcc(m: number, T: number): void {
    const d = this.mccs;
    for (let i = 0; i < this.mccLen; i++) {
      if (d[MCC_REC * i] === m) {
        if (T > (d[MCC_REC * i + 1] ?? 0)) d[MCC_REC * i + 1] = T;
        return;
      }
    }
    let slot = this.mccLen;
    if (slot === MAX_MCCS) {
      slot = 0;
      for (let i = 1; i < MAX_MCCS; i++) if ((d[MCC_REC * i + 1] ?? 0) < (d[MCC_REC * slot + 1] ?? 0)) slot = i;
    } else {
      this.mccLen++;
    }
    d[MCC_REC * slot] = m;
    d[MCC_REC * slot + 1] = T;
  }

  private addToDay(T: number, amount: number): void {
    const day = Math.floor(T / DAY_MS);
    if (day <= Math.floor(this.watermarkMs / DAY_MS) - HISTORY_DAYS) return; // beyond the 30 days held: dropped
    const k = (((day % HISTORY_DAYS) + HISTORY_DAYS) % HISTORY_DAYS) * DAY_REC;
    const b = this.days;
    const held = b[k] ?? -1;
    if (held > day) return; // slot already holds a newer day (defensive; the check above covers it)
    if (held < day) {
      b[k] = day;
      b[k + 1] = 0;
      b[k + 2] = 0;
      b[k + 3] = 0;
    }
    b[k + 1] = (b[k + 1] ?? 0) + 1;
    b[k + 2] = (b[k + 2] ?? 0) + amount;
    b[k + 3] = (b[k + 3] ?? 0) + amount * amount;
  }

  private evictOldest(): void {
    const o = this.start++ * REC;
    const r = this.rec;
    const ti = r[o] ?? 0;
    if (!(ti <= this.evictedMs)) this.evictedMs = ti;
    const lat = r[o + 4] ?? NaN;
    if (!Number.isNaN(lat) && !(ti < this.anchorT)) {
      this.anchorT = ti;
      this.anchorLat = lat;
      this.anchorLon = r[o + 5] ?? NaN;
      this.anchorCountry = r[o + 3] ?? NO_COUNTRY;
    }
  }

  /** Guarantees a free record at `end`: compacts to the front, or doubles capacity up to MAX_RECENT. */
  private makeRoom(): void {
    const cap = this.rec.length / REC;
    if (this.end < cap) return;
    const len = this.end - this.start;
    if (this.start > 0 && (cap >= MAX_RECENT || len * 2 < cap)) {
      this.rec.copyWithin(0, this.start * REC, this.end * REC);
    } else {
      const next = new Float64Array(Math.min(MAX_RECENT, cap * 2) * REC);
      next.set(this.rec.subarray(this.start * REC, this.end * REC));
      this.rec = next;
    }
    this.start = 0;
    this.end = len;
  }

  /** Inserts at the event-time position (after events with the same time: arrival order). */
  private insert(T: number, amount: number, merch: number, country: number, lat: number, lon: number): void {
    const r = this.rec;
    let p = this.end;
    while (p > this.start && (r[(p - 1) * REC] ?? 0) > T) p--;
    if (p < this.end) r.copyWithin((p + 1) * REC, p * REC, this.end * REC);
    const o = p * REC;
    r[o] = T;
    r[o + 1] = amount;
    r[o + 2] = merch;
    r[o + 3] = country;
    r[o + 4] = lat;
    r[o + 5] = lon;
    this.end++;
  }
}

const scratchObs = new Float64Array(N_METRICS);

/** An MCC as a number (4 digits by the schema); a non-numeric one is kept by its hash. */
export function mccNumber(mcc: string): number {
  const n = Number(mcc);
  return Number.isInteger(n) ? n : fnv1a(mcc);
}

function firstSeen(d: Float64Array, len: number, h: number): number | undefined {
  for (let i = 0; i < len; i++) if (d[ID_REC * i] === h) return d[ID_REC * i + 2];
  return undefined;
}

/**
 * Records hash h seen at T in an [hash, last seen, first seen] list: updates last/first seen of a
 * known one (an out-of-order event can move first seen back), else takes a free slot or replaces
 * the least recently seen.
 */
function remember(d: Float64Array, s: CardWindow, lenKey: "devLen" | "ipLen", max: number, h: number, T: number): void {
  const len = s[lenKey];
  for (let i = 0; i < len; i++) {
    const o = ID_REC * i;
    if (d[o] === h) {
      if (T > (d[o + 1] ?? 0)) d[o + 1] = T;
      if (T < (d[o + 2] ?? 0)) d[o + 2] = T;
      return;
    }
  }
  let slot = len;
  if (slot === max) {
    slot = 0;
    for (let i = 1; i < max; i++) if ((d[ID_REC * i + 1] ?? 0) < (d[ID_REC * slot + 1] ?? 0)) slot = i;
  } else {
    s[lenKey] = len + 1;
  }
  d[ID_REC * slot] = h;
  d[ID_REC * slot + 1] = T;
  d[ID_REC * slot + 2] = T;
}
