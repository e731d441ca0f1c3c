import { z } from "zod";
import { NO_COUNTRY, countryCode, countryId } from "../geo/geo.js";
import { Baseline, BASELINE_WINDOW, METRICS, N_METRICS } from "../stats/baseline.js";
import { CardWindow, DAY_REC, HISTORY_DAYS, ID_REC, MAX_DEVICES, MAX_IPS, MAX_MCCS, MAX_RECENT, MCC_REC, REC } from "./card-window.js";

/**
 * Serialized CardWindow: JSON with a format version. Countries travel as ISO codes (the in-memory
 * ids are per process); NaN coordinates as null. Doubles survive JSON exactly (shortest
 * round-trip form), so a decoded state scores exactly like the original.
 *
 * Format 2 (this build writes it) adds first-seen times to devices and the IP and MCC lists.
 * Format 1 is still read, as a migration: its devices get first seen = unknown (null: long known,
 * never "fresh"), the IP and MCC lists start empty, and `novelty_from` is set to the state's
 * watermark so new_ip_flag / new_mcc_flag stay 0 for NOVELTY_WARMUP_MS (14 days of event time)
 * while the lists fill, instead of calling every IP and MCC of an old card new. Any other version
 * is refused.
 */
export const CARD_STATE_FORMAT_VERSION = 2;

const num = z.number();
const nullableNum = z.number().nullable();
const StateV1 = z.strictObject({
  v: z.literal(1),
  watermark: nullableNum,
  count: z.number().int().nonnegative(),
  late: z.number().int().nonnegative(),
  evicted: nullableNum,
  anchor: z.tuple([num, num, num, z.string().nullable()]).nullable(),
  recent: z.array(z.tuple([num, num, z.number().int(), z.string().nullable(), nullableNum, nullableNum])).max(MAX_RECENT),
  days: z.array(z.tuple([z.number().int(), num, num, num])).max(HISTORY_DAYS),
  devices: z.array(z.tuple([z.number().int(), num])).max(MAX_DEVICES),
  baseline: z.strictObject({
    n: z.number().int().nonnegative(),
    mean: z.array(num).length(N_METRICS),
    variance: z.array(num).length(N_METRICS),
    history: z.array(z.array(num).length(N_METRICS)).max(BASELINE_WINDOW),
  }),
});
type StateV1 = z.infer<typeof StateV1>;
const idList = (max: number) => z.array(z.tuple([z.number().int(), num, nullableNum])).max(max);
const StateV2 = StateV1.extend({
  v: z.literal(2),
  devices: idList(MAX_DEVICES),
  ips: idList(MAX_IPS),
  mccs: z.array(z.tuple([z.number().int(), num])).max(MAX_MCCS),
  novelty_from: nullableNum,
});
type StateV2 = z.infer<typeof StateV2>;

const orNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

export function encodeCardState(s: CardWindow): string {
  const recent: StateV1["recent"] = [];
  const r = s.rec;
  for (let i = s.start; i < s.end; i++) {
    const o = i * REC;
    recent.push([r[o] ?? 0, r[o + 1] ?? 0, r[o + 2] ?? 0, countryCode(r[o + 3] ?? NO_COUNTRY) ?? null, orNull(r[o + 4] ?? NaN), orNull(r[o + 5] ?? NaN)]);
  }
  const days: StateV1["days"] = [];
  for (let k = 0; k < HISTORY_DAYS * DAY_REC; k += DAY_REC) {
    const d = s.days[k] ?? -1;
    if (d >= 0) days.push([d, s.days[k + 1] ?? 0, s.days[k + 2] ?? 0, s.days[k + 3] ?? 0]);
  }
  const ids = (d: Float64Array, len: number): StateV2["devices"] => {
    const out: StateV2["devices"] = [];
    for (let i = 0; i < len; i++) out.push([d[ID_REC * i] ?? 0, d[ID_REC * i + 1] ?? 0, orNull(d[ID_REC * i + 2] ?? NaN)]);
    return out;
  };
  const mccs: StateV2["mccs"] = [];
  for (let i = 0; i < s.mccLen; i++) mccs.push([s.mccs[MCC_REC * i] ?? 0, s.mccs[MCC_REC * i + 1] ?? 0]);
  const b = s.baseline;
  const out: StateV2 = {
    v: CARD_STATE_FORMAT_VERSION,
    watermark: orNull(s.watermarkMs),
    count: s.count,
    late: s.lateCount,
    evicted: orNull(s.evictedMs),
    anchor: Number.isNaN(s.anchorT) ? null : [s.anchorT, s.anchorLat, s.anchorLon, countryCode(s.anchorCountry) ?? null],
    recent,
    days,
    devices: ids(s.dev, s.devLen),
    ips: ids(s.ips, s.ipLen),
    mccs,
    novelty_from: orNull(s.noveltyFromMs),
    baseline: { n: b.n, mean: METRICS.map((_, m) => b.mean(m)), variance: METRICS.map((_, m) => b.variance(m)), history: b.history() },
  };
  return JSON.stringify(out);
}

export function decodeCardState(text: string): CardWindow {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error("card state: not JSON");
  }
  const v = (raw as { v?: unknown } | null)?.v;
  if (v !== CARD_STATE_FORMAT_VERSION && v !== 1) {
    throw new Error(`card state: unknown format version ${JSON.stringify(v)} (this build reads 1 and ${CARD_STATE_FORMAT_VERSION})`);
  }
  const r = v === 1 ? StateV1.safeParse(raw) : StateV2.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new Error(`card state: invalid at ${i?.path.join(".") ?? "?"}: ${i?.message ?? "?"}`);
  }
  const d: StateV2 = r.data.v === 2 ? r.data : migrateV1(r.data);
  const s = CardWindow.empty();
  s.watermarkMs = d.watermark ?? -Infinity;
  s.count = d.count;
  s.lateCount = d.late;
  s.evictedMs = d.evicted ?? NaN;
  if (d.anchor) {
    const [t, lat, lon, c] = d.anchor;
    s.anchorT = t;
    s.anchorLat = lat;
    s.anchorLon = lon;
    s.anchorCountry = c === null ? NO_COUNTRY : countryId(c);
  }
  let cap = 8;
  while (cap < d.recent.length) cap *= 2;
  cap = Math.min(cap, MAX_RECENT);
  s.rec = new Float64Array(cap * REC);
  let prev = -Infinity;
  d.recent.forEach(([t, a, m, c, lat, lon], i) => {
    if (t < prev) throw new Error(`card state: invalid at recent.${i}: events out of time order`);
    prev = t;
    s.rec.set([t, a, m, c === null ? NO_COUNTRY : countryId(c), lat ?? NaN, lon ?? NaN], i * REC);
  });
  s.start = 0;
  s.end = d.recent.length;
  for (const [day, c, sum, sq] of d.days) {
    const k = (((day % HISTORY_DAYS) + HISTORY_DAYS) % HISTORY_DAYS) * DAY_REC;
    s.days.set([day, c, sum, sq], k);
  }
  d.devices.forEach(([h, seen, first], i) => s.dev.set([h, seen, first ?? -Infinity], ID_REC * i));
  s.devLen = d.devices.length;
  d.ips.forEach(([h, seen, first], i) => s.ips.set([h, seen, first ?? -Infinity], ID_REC * i));
  s.ipLen = d.ips.length;
  d.mccs.forEach(([m, seen], i) => s.mccs.set([m, seen], MCC_REC * i));
  s.mccLen = d.mccs.length;
  s.noveltyFromMs = d.novelty_from ?? -Infinity;
  s.baseline = Baseline.restore(d.baseline.n, d.baseline.mean, d.baseline.variance, d.baseline.history);
  return s;
}

/** Format 1 → 2: see CARD_STATE_FORMAT_VERSION. */
function migrateV1(d: StateV1): StateV2 {
  return {
    ...d,
    v: 2,
    devices: d.devices.map(([h, seen]) => [h, seen, null]),
    ips: [],
    mccs: [],
    novelty_from: d.watermark,
  };
}
