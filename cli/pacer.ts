// Open-loop pacing: work is released on a fixed schedule whether or not earlier requests have
// answered (so a slow server shows up as latency, not as a quietly lower rate), with a cap on
// requests in flight so a stalled server cannot exhaust the client.

export interface PaceOptions {
  ratePerSecond: number;
  durationSeconds: number;
  maxInFlight: number;
}

export interface PaceStats {
  released: number;
  skippedAtCap: number;
  elapsedSeconds: number;
}

export async function pace(
  opts: PaceOptions,
  next: (i: number) => Promise<void> | undefined,
  onTick?: (released: number) => void,
): Promise<PaceStats> {
  const start = performance.now();
  const endMs = opts.durationSeconds * 1000;
  const inFlight = new Set<Promise<void>>();
  let released = 0;
  let skipped = 0;
  let exhausted = false;
  while (!exhausted) {
    const elapsed = performance.now() - start;
    if (elapsed >= endMs) break;
    const due = Math.min(Math.floor((elapsed / 1000) * opts.ratePerSecond), Math.ceil(opts.ratePerSecond * opts.durationSeconds));
    while (released < due) {
      if (inFlight.size >= opts.maxInFlight) {
        skipped += due - released;
        released = due;
        break;
      }
      const p = next(released);
      if (p === undefined) {
        exhausted = true;
        break;
      }
      released++;
      const tracked: Promise<void> = p.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
    }
    onTick?.(released);
    await new Promise((r) => setTimeout(r, 5));
  }
  // AbortSignal.timeout's timers are unref'd: with only stalled requests left, Node would exit
  // mid-await ("unsettled top-level await") and the report would never print. Hold the loop open.
  const keepAlive = setInterval(() => undefined, 1000);
  try {
    await Promise.allSettled([...inFlight]);
  } finally {
    clearInterval(keepAlive);
  }
  return { released: released - skipped, skippedAtCap: skipped, elapsedSeconds: (performance.now() - start) / 1000 };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}
