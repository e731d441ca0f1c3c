import { iso1A2Code } from "@rapideditor/country-coder";

const EARTH_RADIUS_KM = 6371.0088;
const RAD = Math.PI / 180;

/** Great-circle distance in km (haversine). */
export function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const dLat = (lat2 - lat1) * RAD;
  const dLon = (lon2 - lon1) * RAD;
  const s1 = Math.sin(dLat / 2);
  const s2 = Math.sin(dLon / 2);
  const a = s1 * s1 + Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * s2 * s2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(a)));
}

/**
 * Country lookups cost ~3 µs each (point in polygon), more than the whole per-event budget, so
 * they are memoized on coordinates rounded to 0.01° (~1 km). The lookup always runs on the
 * ROUNDED point, so the answer for a coordinate never depends on what the cache held before:
 * results stay deterministic however the cache is filled or cleared. The cache is bounded; when
 * full it is dropped whole (cheap, and hot points refill it at once).
 */
const GRID = 100;
const CACHE_MAX = 65_536;
const cache = new Map<number, number>();

/** Countries as small integers inside a process (codes only cross the serialization boundary). */
const codes: string[] = [];
const ids = new Map<string, number>();

/** Sentinel for "no country" (no coordinates, or a point in international waters). */
export const NO_COUNTRY = -1;

export function countryId(code: string): number {
  let id = ids.get(code);
  if (id === undefined) {
    id = codes.length;
    codes.push(code);
    ids.set(code, id);
  }
  return id;
}

export function countryCode(id: number): string | undefined {
  return id < 0 ? undefined : codes[id];
}

/** Country id of a point, NO_COUNTRY at sea or in unclaimed land. */
export function countryIdAt(lat: number, lon: number): number {
  const rlat = Math.round(lat * GRID);
  const rlon = Math.round(lon * GRID);
  // rlat in [-9000, 9000], rlon in [-18000, 18000]: a unique integer key without string building.
  const key = (rlat + 9000) * 36_001 + (rlon + 18000);
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const code = iso1A2Code([rlon / GRID, rlat / GRID]);
  const id = code === null ? NO_COUNTRY : countryId(code);
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(key, id);
  return id;
}

/** ISO 3166-1 alpha-2 code of a point (memoized as above), undefined at sea. */
export function countryAt(lat: number, lon: number): string | undefined {
  return countryCode(countryIdAt(lat, lon));
}
