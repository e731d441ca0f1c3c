// A one-value cache with stale-while-revalidate, a hard staleness limit, single-flight loads and a
// cool-down after a failed load. Built for Workers isolates, where a promise created by one request
// is cancelled when that request ends: every waiter races the shared load against its own timer,
// and a load that has not settled long after its deadline is abandoned rather than awaited forever.

export interface CacheOptions<T> {
  /** Loads the value; may throw (the cache keeps serving what it has, within maxStaleMs). */
  load: () => Promise<T>;
  /** Age under which the value is served without any network call. */
  ttlMs: number;
  /** Age past which the value is never served: callers get `undefined` (→ UNAVAILABLE). */
  maxStaleMs: number;
  /** How long a caller without a usable value waits for a load. */
  loadTimeoutMs: number;
  /** After a failed load, callers without a usable value are answered at once for this long. */
  retryAfterMs: number;
  /** Wall clock, ms. */
  clock: () => number;
  onLoadError?: (err: unknown, consecutiveFailures: number) => void;
}

export interface CacheHit<T> {
  value: T;
  ageMs: number;
  stale: boolean;
}

export interface Cache<T> {
  /** Never throws. `waitUntil` keeps a background refresh alive past the calling request. */
  get(waitUntil?: (p: Promise<unknown>) => void): Promise<CacheHit<T> | undefined>;
  /** Forces the next `get` to load (tests, admin hooks). */
  invalidate(): void;
}

interface Entry<T> {
  value: T;
  loadedAt: number;
}

interface Flight<T> {
  promise: Promise<Entry<T> | undefined>;
  startedAt: number;
}

export function createCache<T>(opts: CacheOptions<T>): Cache<T> {
  let entry: Entry<T> | undefined;
  let flight: Flight<T> | undefined;
  let failedAt: number | undefined;
  let failures = 0;

  const startLoad = (now: number): Flight<T> => {
    // An unsettled load far past its deadline belongs to a request that ended: start afresh.
    if (flight && now - flight.startedAt <= opts.loadTimeoutMs * 2) return flight;
    const mine: Flight<T> = {
      startedAt: now,
      promise: opts.load().then(
        (value) => {
          const e = { value, loadedAt: opts.clock() };
          entry = e;
          failures = 0;
          failedAt = undefined;
          return e;
        },
        (err: unknown) => {
          failures++;
          failedAt = opts.clock();
          opts.onLoadError?.(err, failures);
          return undefined;
        },
      ),
    };
    flight = mine;
    void mine.promise.finally(() => {
      if (flight === mine) flight = undefined;
    });
    return mine;
  };

  const within = <R>(p: Promise<R>, ms: number): Promise<R | undefined> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), ms);
      p.then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        () => {
          clearTimeout(timer);
          resolve(undefined);
        },
      );
    });

  const hit = (e: Entry<T>, now: number): CacheHit<T> => {
    const ageMs = Math.max(0, now - e.loadedAt);
    return { value: e.value, ageMs, stale: ageMs >= opts.ttlMs };
  };

  return {
    async get(waitUntil) {
      const now = opts.clock();
      const current = entry;
      if (current && now - current.loadedAt < opts.ttlMs) return hit(current, now);
      const coolingDown = failedAt !== undefined && now - failedAt < opts.retryAfterMs;
      if (current && now - current.loadedAt < opts.maxStaleMs) {
        if (!coolingDown) {
          const f = startLoad(now);
          waitUntil?.(f.promise);
        }
        return hit(current, now);
      }
      if (coolingDown && !flight) return undefined;
      const loaded = await within(startLoad(now).promise, opts.loadTimeoutMs);
      return loaded ? hit(loaded, opts.clock()) : undefined;
    },
    invalidate() {
      entry = undefined;
      failedAt = undefined;
    },
  };
}
