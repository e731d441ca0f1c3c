import { z } from "zod";
import { NO_COUNTRY, countryCode, countryId } from "../geo/geo.js";
import { Baseline, BASELINE_WINDOW, N_METRICS } from "../stats/baseline.js";
import { CardState, HISTORY_DAYS, MAX_DEVICES, MAX_RECENT } from "./card-state.js";

/**
 * Serialized CardState: JSON with a format version. Countries travel as ISO codes (the in-memory
 * ids are per process); NaN coordinates as null. Doubles survive JSON exactly (shortest
 * round-trip form), so a decoded state scores exactly like the original.
 */
export const CARD_STATE_FORMAT_VERSION = 1;

const num = z.number();
const nullableNum = z.number().nullable();
const StateV1 = z.strictObject({
  v: z.literal(CARD_STATE_FORMAT_VERSION),
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

const orNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

export function encodeCardState(s: CardState): string {
  const recent: StateV1["recent"] = [];
  for (let i = s.start; i < s.end; i++) {
    recent.push([s.t[i] ?? 0, s.amt[i] ?? 0, s.merch[i] ?? 0, countryCode(s.country[i] ?? NO_COUNTRY) ?? null, orNull(s.lat[i] ?? NaN), orNull(s.lon[i] ?? NaN)]);
  }
  const days: StateV1["days"] = [];
  for (let k = 0; k < HISTORY_DAYS; k++) {
    const d = s.dayIdx[k] ?? -1;
    if (d >= 0) days.push([d, s.dayCount[k] ?? 0, s.daySum[k] ?? 0, s.daySumSq[k] ?? 0]);
  }
  const devices: StateV1["devices"] = [];
  for (let i = 0; i < s.devLen; i++) devices.push([s.devHash[i] ?? 0, s.devSeen[i] ?? 0]);
  const b = s.baseline;
  const out: StateV1 = {
    v: CARD_STATE_FORMAT_VERSION,
    watermark: orNull(s.watermarkMs),
    count: s.count,
    late: s.lateCount,
    evicted: orNull(s.evictedMs),
    anchor: Number.isNaN(s.anchorT) ? null : [s.anchorT, s.anchorLat, s.anchorLon, countryCode(s.anchorCountry) ?? null],
    recent,
    days,
    devices,
    baseline: { n: b.n, mean: Array.from(b.mean), variance: Array.from(b.variance), history: b.history() },
  };
  return JSON.stringify(out);
}

export function decodeCardState(text: string): CardState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error("card state: not JSON");
  }
  const v = (raw as { v?: unknown } | null)?.v;
  if (v !== CARD_STATE_FORMAT_VERSION) {
    throw new Error(`card state: unknown format version ${JSON.stringify(v)} (this build reads ${CARD_STATE_FORMAT_VERSION})`);
  }
  const r = StateV1.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new Error(`card state: invalid at ${i?.path.join(".") ?? "?"}: ${i?.message ?? "?"}`);
  }
  const d = r.data;
  const s = CardState.empty();
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
  s.t = new Float64Array(cap);
  s.amt = new Float64Array(cap);
  s.merch = new Int32Array(cap);
  s.country = new Int16Array(cap);
  s.lat = new Float64Array(cap);
  s.lon = new Float64Array(cap);
  d.recent.forEach(([t, a, m, c, lat, lon], i) => {
    s.t[i] = t;
    s.amt[i] = a;
    s.merch[i] = m;
    s.country[i] = c === null ? NO_COUNTRY : countryId(c);
    s.lat[i] = lat ?? NaN;
    s.lon[i] = lon ?? NaN;
  });
  s.start = 0;
  s.end = d.recent.length;
  for (const [day, c, sum, sq] of d.days) {
    const k = ((day % HISTORY_DAYS) + HISTORY_DAYS) % HISTORY_DAYS;
    s.dayIdx[k] = day;
    s.dayCount[k] = c;
    s.daySum[k] = sum;
    s.daySumSq[k] = sq;
  }
  d.devices.forEach(([h, seen], i) => {
    s.devHash[i] = h;
    s.devSeen[i] = seen;
  });
  s.devLen = d.devices.length;
  s.baseline = Baseline.restore(d.baseline.n, d.baseline.mean, d.baseline.variance, d.baseline.history);
  return s;
}
