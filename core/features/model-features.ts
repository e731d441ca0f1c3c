import { CHANNELS, type EntityRiskStats, type ReferenceSignals, type TransactionEvent } from "../schemas.js";
import { type CardWindow, DAY_MS, DAY_REC, HISTORY_DAYS, HOUR_MS, REC, mccNumber } from "../window/card-window.js";
import { N_RULE_FEATURES, RULE_FEATURE_NAMES } from "./extract.js";

// The model feature vector: what a learned model (core/ml/gbdt) reads. Everything is as of the
// event's own time T and from what was known then: card history applied before this event, label
// statistics of matured transactions only (the caller's ReferenceSignals), the tiers' outputs for
// this event. A model file names the layout it was trained on (MODEL_FEATURE_LAYOUT); the engine
// refuses a model of another layout, so appending or reordering a feature means a new layout, a
// new fingerprint and retrained models. Definitions: core/SCORING.md, "Model features".

/** Card history over these windows (days), read from the card's daily buckets. */
export const CARD_WINDOWS_DAYS = [1, 7, 30] as const;
/** Label windows of the terminal/merchant statistics (see entity-risk.ts). */
export const ENTITY_WINDOWS = ["1d", "7d", "30d"] as const;
/** Hours (UTC) counted as night: [0, NIGHT_END_HOUR). */
export const NIGHT_END_HOUR = 6;

const EVENT_FEATURES = ["hour_of_day", "night_flag", "weekend_flag", "channel_code", "mcc_code"] as const;
// Ratios are spelled out because trees split on one feature at a time: "3× this card's usual
// amount" is one split on a ratio and a staircase of splits on the pair. The 8–30-day baseline is
// the card's history before its most recent week, which a recent compromise has not yet skewed.
const CARD_FEATURES = [
  ...CARD_WINDOWS_DAYS.flatMap((w) => [`card_tx_count_${w}d`, `card_avg_amount_${w}d`]),
  "card_tx_count_8_30d", "card_avg_amount_8_30d",
  "amount_to_avg_1d", "amount_to_avg_7d", "amount_to_avg_8_30d", "card_avg_7d_to_8_30d",
];
const entityFeatures = (entity: "terminal" | "merchant") =>
  ENTITY_WINDOWS.flatMap((w) => [`${entity}_tx_${w}`, `${entity}_fraud_${w}`, `${entity}_fraud_rate_${w}`]);
const TIER_FEATURES = ["rules_points", "stats_score", "forest_score"] as const;
// Appended after the tiers (layout mf1 + this = a new fingerprint): the highest daily mean amount
// of the card's last 7 UTC days (today so far included) over its 8–30-day mean. A card that was
// recently used for unusually large amounts is a card in trouble, even when today's amount is
// ordinary for the polluted 7-day average: measured +0.005 AUC / +0.005 AP on average over the
// handbook simulator's seeds 0–3 (README "Measured figures"). Only from the daily buckets the state
// already keeps.
const CARD_RECENT_FEATURES = ["card_max_day_avg_to_8_30d"] as const;

/** Feature names in vector order: the rule features of extract.ts first, then the model's own. */
export const MODEL_FEATURE_NAMES: readonly string[] = Object.freeze([
  ...RULE_FEATURE_NAMES,
  ...EVENT_FEATURES,
  ...CARD_FEATURES,
  ...entityFeatures("terminal"),
  ...entityFeatures("merchant"),
  ...TIER_FEATURES,
  ...CARD_RECENT_FEATURES,
]);
export const N_MODEL_FEATURES = MODEL_FEATURE_NAMES.length;

/** FNV-1a over the names, as the binary card-state codec fingerprints its layout. */
function fingerprint(names: readonly string[]): string {
  let h = 0x811c9dc5;
  for (const ch of names.join(";")) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, "0");
}
/** "mf1-" + fingerprint of the names: what a model file's `feature_layout` must say. */
export const MODEL_FEATURE_LAYOUT = `mf1-${fingerprint(MODEL_FEATURE_NAMES)}`;

/** Index of each model feature in the vector. */
export const MF: Readonly<Record<string, number>> = Object.freeze(Object.fromEntries(MODEL_FEATURE_NAMES.map((n, i) => [n, i])));

const O_EVENT = N_RULE_FEATURES;
const O_CARD = O_EVENT + EVENT_FEATURES.length;
const O_TERMINAL = O_CARD + CARD_FEATURES.length;
const O_MERCHANT = O_TERMINAL + 3 * ENTITY_WINDOWS.length;
const O_TIERS = O_MERCHANT + 3 * ENTITY_WINDOWS.length;
const O_RECENT = O_TIERS + TIER_FEATURES.length;

/** Outputs of the unsupervised tiers for this event, so the learned model can weigh them itself. */
export interface TierOutputs {
  /** Rule tier points R (0–100). */
  rules: number;
  /** Statistics tier score S (0–100). */
  stats: number;
  /** Raw Isolation Forest score (0–1]. */
  forest: number;
}

/**
 * Fills `out` (length ≥ N_MODEL_FEATURES) without allocating. `ruleVec` is extractInto's vector for
 * the same event, state and refs; `s` is the card state BEFORE the event is applied. Missing values
 * are NaN (a card without history has no average; an entity without published stats is unknown).
 */
export function fillModelFeatures(
  out: Float64Array, e: TransactionEvent, T: number, s: CardWindow, refs: ReferenceSignals, ruleVec: Float64Array, tiers: TierOutputs,
): Float64Array {
  for (let i = 0; i < N_RULE_FEATURES; i++) out[i] = ruleVec[i] ?? 0;

  const hour = Math.floor((((T % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS);
  // 1970-01-01 was a Thursday: day 0 → weekday 4 (0 = Sunday).
  const weekday = (((Math.floor(T / DAY_MS) + 4) % 7) + 7) % 7;
  out[O_EVENT] = hour;
  out[O_EVENT + 1] = hour < NIGHT_END_HOUR ? 1 : 0;
  out[O_EVENT + 2] = weekday === 0 || weekday === 6 ? 1 : 0;
  out[O_EVENT + 3] = CHANNELS.indexOf(e.channel);
  out[O_EVENT + 4] = mccNumber(e.merchant_category_code);

  cardHistory(T, e.amount_usd, s, out, O_CARD, O_RECENT);
  entity(refs.terminal_stats, out, O_TERMINAL);
  entity(refs.merchant_stats, out, O_MERCHANT);

  out[O_TIERS] = tiers.rules;
  out[O_TIERS + 1] = tiers.stats;
  out[O_TIERS + 2] = tiers.forest;
  return out;
}

/**
 * Count and mean amount of the card's earlier events. 1 day: the recent buffer, events in
 * (T − 24 h, T] already applied (the buffer holds at most 128: a busier card saturates). 7 and 30
 * days: calendar days, today's events before T plus the previous 6 / 29 UTC days' buckets; today's
 * part comes from the buffer when an out-of-order event needs "before T" and the buffer still covers
 * the day start (as extract.ts does for avg_txn_amount_30d), else from today's bucket whole.
 * 8–30 days: the 30-day part less the 7-day part (UTC days today − 29 … today − 7). Then the
 * amount over each average and the 7-day average over the 8–30-day one.
 */
function cardHistory(T: number, amount: number, s: CardWindow, out: Float64Array, o: number, oRecent: number): void {
  const dayStart = Math.floor(T / DAY_MS) * DAY_MS;
  const todayFromBuffer = T < s.watermarkMs && !(s.evictedMs >= dayStart);
  const from24 = T - DAY_MS;
  let n1 = 0, sum1 = 0, nT = 0, sumT = 0;
  const r = s.rec;
  for (let i = s.end - 1; i >= s.start; i--) {
    const ti = r[i * REC] ?? 0;
    if (ti > T) continue;
    if (ti <= from24) break;
    const a = r[i * REC + 1] ?? 0;
    n1++; sum1 += a;
    if (ti >= dayStart) { nT++; sumT += a; }
  }
  const today = dayStart / DAY_MS;
  let n7 = todayFromBuffer ? nT : 0, sum7 = todayFromBuffer ? sumT : 0;
  let n30 = n7, sum30 = sum7;
  // The highest daily mean of the last 7 days (today's from the buffer when it is used, above).
  let maxDayAvg = todayFromBuffer && nT > 0 ? sumT / nT : Number.NEGATIVE_INFINITY;
  const days = s.days;
  for (let k = 0; k < HISTORY_DAYS * DAY_REC; k += DAY_REC) {
    const d = days[k] ?? -1;
    if (d > today || d <= today - HISTORY_DAYS) continue;
    if (d === today && todayFromBuffer) continue;
    const c = days[k + 1] ?? 0, sum = days[k + 2] ?? 0;
    n30 += c; sum30 += sum;
    if (d > today - 7) {
      n7 += c; sum7 += sum;
      if (c > 0 && sum / c > maxDayAvg) maxDayAvg = sum / c;
    }
  }
  out[o] = n1; out[o + 1] = n1 > 0 ? sum1 / n1 : NaN;
  out[o + 2] = n7; out[o + 3] = n7 > 0 ? sum7 / n7 : NaN;
  out[o + 4] = n30; out[o + 5] = n30 > 0 ? sum30 / n30 : NaN;
  const nOld = n30 - n7;
  const avg1 = out[o + 1] ?? NaN, avg7 = out[o + 3] ?? NaN, avgOld = nOld > 0 ? (sum30 - sum7) / nOld : NaN;
  out[o + 6] = nOld; out[o + 7] = avgOld;
  // A zero average (only free transactions) makes the ratio meaningless: unknown, not infinite.
  out[o + 8] = avg1 > 0 ? amount / avg1 : NaN;
  out[o + 9] = avg7 > 0 ? amount / avg7 : NaN;
  out[o + 10] = avgOld > 0 ? amount / avgOld : NaN;
  out[o + 11] = avgOld > 0 ? avg7 / avgOld : NaN;
  out[oRecent] = avgOld > 0 && maxDayAvg > Number.NEGATIVE_INFINITY ? maxDayAvg / avgOld : NaN;
}

function entity(st: EntityRiskStats | undefined, out: Float64Array, o: number): void {
  if (st === undefined) {
    out.fill(NaN, o, o + 9);
    return;
  }
  out[o] = st.tx_1d; out[o + 1] = st.fraud_1d; out[o + 2] = st.rate_1d;
  out[o + 3] = st.tx_7d; out[o + 4] = st.fraud_7d; out[o + 5] = st.rate_7d;
  out[o + 6] = st.tx_30d; out[o + 7] = st.fraud_30d; out[o + 8] = st.rate_30d;
}
