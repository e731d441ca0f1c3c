/** Capped exponential backoff with full jitter, so retrying consumers do not stampede a recovering server. */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 200, maxMs: 10_000 };

/** Delay before attempt `attempt` (1 = first retry); `rand` in [0,1) is injectable for tests. */
export function backoffDelay(policy: BackoffPolicy, attempt: number, rand: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, attempt - 1));
  // Half fixed, half jitter: never zero (a tight loop against a dead server), never above the cap.
  return Math.round(ceiling / 2 + (ceiling / 2) * rand());
}

/** Resolves after `ms`, or early when `signal` aborts (shutdown must not wait out a long backoff). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
