import { FEATURE_NAMES, type FeatureName, type FeatureVector, type ReferenceSignals, type TransactionEvent } from "../schemas.js";
import { NO_COUNTRY, countryIdAt, haversineKm } from "../geo/geo.js";
import { CardWindow, DAY_MS, DAY_REC, HISTORY_DAYS, HOUR_MS, MAX_RECENT, MINUTE_MS, NOVELTY_WARMUP_MS, REC, mccNumber } from "../window/card-window.js";
import { fnv1a } from "../window/hash.js";
import { parseEventTime } from "../window/time.js";

/**
 * Feature definitions (all as of the event's own time T = Date.parse(timestamp_utc)):
 * - Windows are half-open (T − w, T]: an event exactly 60 s earlier is OUTSIDE the 1-minute
 *   window, one 59.999 s earlier is inside. Only state events at or before T count (an
 *   out-of-order event does not see the later ones), and the current event is included, so a
 *   card's first event has tx_count_1min = 1 and spend_velocity_1min = its amount.
 * - unique_merchants_1hr / unique_countries_24hr: distinct values in the window incl. the current
 *   event; countries come from coordinates, events without a country (none given, or at sea) are
 *   not counted.
 * - time_since_last_txn: seconds since the latest earlier event of the card; 30 days when none.
 * - avg_txn_amount_30d: mean amount over the previous 29 UTC days (daily buckets) plus today's
 *   events before T (exact for in-order events and for out-of-order ones the 24 h buffer still
 *   covers; a late event uses its whole day bucket); 0 when the card has no such history.
 * - txn_amount_deviation: (amount − avg30d) / max(std30d, 5 USD, 0.25·avg30d), clamped to ±50:
 *   a z-score whose floor keeps a card that always pays the same amount from exploding; 0 with
 *   no history.
 * - geo_velocity_kmh: haversine distance to the latest earlier located event / max(Δt, 60 s);
 *   0 when either side has no coordinates. geo_distance_km (rules only) is that distance.
 * - cross_country_flag: this event's country differs from the latest earlier located event's.
 * - new_device_flag: a fingerprint is given and was never seen on the card (the device list is
 *   not time-indexed: a device first seen in a later event that arrived earlier counts as known).
 * - card_present_mismatch: IN_STORE/ATM with card_present === false, or with an ip_address_hash
 *   and no terminal_id; ONLINE/MOBILE with card_present === true.
 * - merchant/ip/terminal risk: from refs, 0 (no known risk) when absent.
 * Extras (rules and models may use them; not in the forwarded FeatureVector):
 * - new_ip_flag: an ip_address_hash is given and was never seen on the card (like new_device_flag).
 * - new_mcc_flag: the card has history and never used this merchant category code.
 * - fresh_device_ip_flag: device and IP both given, each first seen on the card less than 24 h
 *   before T (or never): the first hours of a new device on a new network, i.e. an account
 *   takeover's whole session, not only its first event.
 * - amount_to_avg_30d: amount / avg_txn_amount_30d; 0 without history.
 * After a migration from card-state format 1 (no IP/MCC lists) new_ip_flag and new_mcc_flag stay 0
 * for NOVELTY_WARMUP_MS of event time (see window/codec.ts).
 */
export const TIME_SINCE_CAP_S = 30 * 24 * 3600;
export const GEO_MIN_DT_S = 60;
export const DEVIATION_FLOOR_USD = 5;
export const DEVIATION_CLAMP = 50;

/** Extra quantities rules may test besides the features (appended after FEATURE_NAMES). */
export const EXTRA_RULE_FEATURES = ["geo_distance_km", "history_events", "new_ip_flag", "new_mcc_flag", "fresh_device_ip_flag", "amount_to_avg_30d"] as const;
/** How long after its first use a device or IP still counts as fresh. */
export const FRESH_MS = DAY_MS;
export type RuleFeatureName = FeatureName | (typeof EXTRA_RULE_FEATURES)[number];
export const RULE_FEATURE_NAMES: readonly RuleFeatureName[] = [...FEATURE_NAMES, ...EXTRA_RULE_FEATURES];
export const N_FEATURES = FEATURE_NAMES.length;
export const N_RULE_FEATURES = RULE_FEATURE_NAMES.length;
const idx = (n: RuleFeatureName): number => RULE_FEATURE_NAMES.indexOf(n);
/** Index of each feature in the vectors. */
export const F = Object.fromEntries(RULE_FEATURE_NAMES.map((n) => [n, idx(n)])) as Record<RuleFeatureName, number>;

// Distinct merchants of the hour: an open-addressing set stamped per call instead of cleared, so a
// burst (a card testing at a new merchant per attempt, up to MAX_RECENT events in the hour) costs
// one probe per event, not a scan of every merchant seen so far (quadratic: ~8k comparisons at 128,
// the slowest events of all, and the very ones that matter).
const MERCH_SLOTS = 512; // a power of two, ≥ 2 × (MAX_RECENT + 1): probes stay short
const merchKey = new Float64Array(MERCH_SLOTS);
const merchStamp = new Uint32Array(MERCH_SLOTS);
let stamp = 0;

/** Adds merchant hash m to this call's set; true when it was not there yet. */
function newMerchant(m: number): boolean {
  let i = Math.imul(m | 0, 0x9e3779b1) >>> 23;
  while (merchStamp[i] === stamp) {
    if (merchKey[i] === m) return false;
    i = (i + 1) & (MERCH_SLOTS - 1);
  }
  merchStamp[i] = stamp;
  merchKey[i] = m;
  return true;
}
const seenCountry = new Float64Array(MAX_RECENT + 1);

/**
 * Fills `out` (length ≥ N_RULE_FEATURES) with the features of `e` at time T, then the extras.
 * Returns the current event's country id (so the caller need not look it up again).
 */
export function extractInto(e: TransactionEvent, T: number, s: CardWindow, refs: ReferenceSignals, out: Float64Array): number {
  const amount = e.amount_usd;
  const g = e.geolocation;
  const cur = g ? countryIdAt(g.lat, g.lon) : NO_COUNTRY;
  const mh = fnv1a(e.merchant_id);
  let c1 = 1, c5 = 1, c15 = 1, c60 = 1, s1 = amount, s5 = amount, s15 = amount, s60 = amount;
  let nm = 1, nc = 0;
  stamp = (stamp + 1) >>> 0;
  if (stamp === 0) {
    merchStamp.fill(0);
    stamp = 1;
  }
  newMerchant(mh);
  if (cur !== NO_COUNTRY) seenCountry[nc++] = cur;
  let prevT = NaN, locT = NaN, locLat = NaN, locLon = NaN, locCountry = NO_COUNTRY;
  let todayN = 0, todaySum = 0, todaySq = 0;
  const e1 = T - MINUTE_MS, e5 = T - 5 * MINUTE_MS, e15 = T - 15 * MINUTE_MS, e60 = T - HOUR_MS, e24 = T - DAY_MS;
  const dayStart = Math.floor(T / DAY_MS) * DAY_MS;
  // Today's part of the 30-day average: for an in-order event the day bucket is exact (nothing of
  // today is later than T); for an out-of-order one the buffer gives the exact "before T" sums if it
  // still covers the start of the day, else the bucket is used whole (day granularity).
  const todayFromBuffer = T < s.watermarkMs && !(s.evictedMs >= dayStart);
  const r = s.rec;
  for (let i = s.end - 1; i >= s.start; i--) {
    const o = i * REC;
    const ti = r[o] ?? 0;
    if (ti > T) continue;
    if (ti <= e24) break;
    if (Number.isNaN(prevT)) prevT = ti;
    const ai = r[o + 1] ?? 0;
    if (todayFromBuffer && ti >= dayStart) { todayN++; todaySum += ai; todaySq += ai * ai; }
    const ci = r[o + 3] ?? NO_COUNTRY;
    if (Number.isNaN(locT)) {
      const lat = r[o + 4] ?? NaN;
      if (!Number.isNaN(lat)) { locT = ti; locLat = lat; locLon = r[o + 5] ?? NaN; locCountry = ci; }
    }
    if (ci !== NO_COUNTRY) {
      let k = 0;
      while (k < nc && seenCountry[k] !== ci) k++;
      if (k === nc) seenCountry[nc++] = ci;
    }
    if (ti > e60) {
      c60++; s60 += ai;
      if (newMerchant(r[o + 2] ?? 0)) nm++;
      if (ti > e15) {
        c15++; s15 += ai;
        if (ti > e5) { c5++; s5 += ai; if (ti > e1) { c1++; s1 += ai; } }
      }
    }
  }
  // Nothing earlier left in the buffer: fall back to what was evicted.
  if (Number.isNaN(prevT) && s.evictedMs <= T) prevT = s.evictedMs;
  if (Number.isNaN(locT) && s.anchorT <= T) {
    locT = s.anchorT; locLat = s.anchorLat; locLon = s.anchorLon; locCountry = s.anchorCountry;
  }

  const today = Math.floor(T / DAY_MS);
  let n = todayN, sum = todaySum, sq = todaySq;
  const days = s.days;
  for (let k = 0; k < HISTORY_DAYS * DAY_REC; k += DAY_REC) {
    const d = days[k] ?? -1;
    if (d > today - HISTORY_DAYS && (d < today || (d === today && !todayFromBuffer))) {
      n += days[k + 1] ?? 0; sum += days[k + 2] ?? 0; sq += days[k + 3] ?? 0;
    }
  }
  let avg = 0, dev = 0;
  if (n > 0) {
    avg = sum / n;
    const std = Math.sqrt(Math.max(0, sq / n - avg * avg));
    dev = (amount - avg) / Math.max(std, DEVIATION_FLOOR_USD, 0.25 * avg);
    dev = dev > DEVIATION_CLAMP ? DEVIATION_CLAMP : dev < -DEVIATION_CLAMP ? -DEVIATION_CLAMP : dev;
  }

  let dist = 0, vel = 0;
  if (g && !Number.isNaN(locT)) {
    dist = haversineKm(locLat, locLon, g.lat, g.lon);
    vel = dist / (Math.max((T - locT) / 1000, GEO_MIN_DT_S) / 3600);
  }
  const cross = cur !== NO_COUNTRY && locCountry !== NO_COUNTRY && cur !== locCountry;
  const fp = e.device_fingerprint, ip = e.ip_address_hash;
  const devFirst = fp === undefined ? undefined : s.deviceFirstSeen(fnv1a(fp));
  const ipFirst = ip === undefined ? undefined : s.ipFirstSeen(fnv1a(ip));
  const newDevice = fp !== undefined && devFirst === undefined;
  const tracked = T >= s.noveltyFromMs + NOVELTY_WARMUP_MS;
  const newIp = tracked && ip !== undefined && ipFirst === undefined;
  const newMcc = tracked && s.count > 0 && !s.knowsMcc(mccNumber(e.merchant_category_code));
  const fresh = tracked && fp !== undefined && ip !== undefined &&
    (devFirst === undefined || T - devFirst < FRESH_MS) && (ipFirst === undefined || T - ipFirst < FRESH_MS);
  const ch = e.channel;
  const mismatch =
    ch === "IN_STORE" || ch === "ATM"
      ? e.card_present === false || (e.ip_address_hash !== undefined && e.terminal_id === undefined)
      : e.card_present === true;

  out[0] = c1; out[1] = c5; out[2] = c15; out[3] = c60;
  out[4] = s1; out[5] = s5; out[6] = s15; out[7] = s60;
  out[8] = nm; out[9] = nc;
  out[10] = Number.isNaN(prevT) ? TIME_SINCE_CAP_S : Math.min(TIME_SINCE_CAP_S, (T - prevT) / 1000);
  out[11] = avg; out[12] = dev; out[13] = amount; out[14] = vel;
  out[15] = cross ? 1 : 0; out[16] = newDevice ? 1 : 0; out[17] = mismatch ? 1 : 0;
  out[18] = refs.merchant_risk_score ?? 0;
  out[19] = refs.ip_reputation_score ?? 0;
  out[20] = refs.terminal_risk_score ?? 0;
  out[21] = dist;
  out[22] = s.count;
  out[23] = newIp ? 1 : 0; out[24] = newMcc ? 1 : 0; out[25] = fresh ? 1 : 0;
  out[26] = avg > 0 ? amount / avg : 0;
  return cur;
}

/** The FeatureVector object of a vector in FEATURE_NAMES order (flags back to booleans). */
export function fromVector(v: Float64Array): FeatureVector {
  // One literal (one hidden class, no per-field lookups); the layout test pins the indices.
  return {
    tx_count_1min: v[0] ?? 0, tx_count_5min: v[1] ?? 0, tx_count_15min: v[2] ?? 0, tx_count_1hr: v[3] ?? 0,
    spend_velocity_1min: v[4] ?? 0, spend_velocity_5min: v[5] ?? 0, spend_velocity_15min: v[6] ?? 0, spend_velocity_1hr: v[7] ?? 0,
    unique_merchants_1hr: v[8] ?? 0, unique_countries_24hr: v[9] ?? 0, time_since_last_txn: v[10] ?? 0,
    avg_txn_amount_30d: v[11] ?? 0, txn_amount_deviation: v[12] ?? 0, amount_usd: v[13] ?? 0, geo_velocity_kmh: v[14] ?? 0,
    cross_country_flag: v[15] === 1, new_device_flag: v[16] === 1, card_present_mismatch: v[17] === 1,
    merchant_risk_score: v[18] ?? 0, ip_reputation_score: v[19] ?? 0, terminal_risk_score: v[20] ?? 0,
  };
}

/** Features of `event` against `state` as of the event's time; does not change the state. */
export function extractFeatures(event: TransactionEvent, state: CardWindow, refs: ReferenceSignals): FeatureVector {
  const v = new Float64Array(N_RULE_FEATURES);
  extractInto(event, parseEventTime(event.timestamp_utc), state, refs, v);
  return fromVector(v);
}

/** The numeric vector in FEATURE_NAMES order (booleans 0/1), written into `out` when given. */
export function toVector(fv: FeatureVector, out?: Float64Array): Float64Array {
  const v = out ?? new Float64Array(N_FEATURES);
  for (let i = 0; i < N_FEATURES; i++) {
    const x = fv[FEATURE_NAMES[i] as FeatureName];
    v[i] = typeof x === "boolean" ? (x ? 1 : 0) : x;
  }
  return v;
}
