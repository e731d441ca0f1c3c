import { z } from "zod";
import { NO_COUNTRY, countryCode, countryId } from "../geo/geo.js";
import { Baseline, BASELINE_WINDOW, METRICS, N_METRICS } from "../stats/baseline.js";
import { CardState, DAY_REC, HISTORY_DAYS, MAX_DEVICES, MAX_RECENT, REC } from "./card-state.js";

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
  const devices: StateV1["devices"] = [];
  for (let i = 0; i < s.devLen; i++) devices.push([s.dev[2 * i] ?? 0, s.dev[2 * i + 1] ?? 0]);
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
    baseline: { n: b.n, mean: METRICS.map((_, m) => b.mean(m)), variance: METRICS.map((_, m) => b.variance(m)), history: b.history() },
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
  d.devices.forEach(([h, seen], i) => s.dev.set([h, seen], 2 * i));
  s.devLen = d.devices.length;
  s.baseline = Baseline.restore(d.baseline.n, d.baseline.mean, d.baseline.variance, d.baseline.history);
  return s;
}
