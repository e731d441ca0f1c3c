import { CardWindow, NO_REFERENCE, type Engine, type ReferenceSignals, type TransactionEvent, type Verdict } from "../../core/index.js";
import { LabelJobReplay } from "../../core/features/label-job-replay.js";
import { parseEventTime } from "../../core/window/time.js";

// The replay at the heart of `vigil backtest` (and shareable with `vigil eval`): events in
// event-time order through one engine, each card starting from an empty window, so the figures
// are what this model and rule set would have decided had they run from the first event on.

export interface ReplayItem {
  event: TransactionEvent;
  /** Reference lookups as they were; none (NO_REFERENCE) when the source has no record of them. */
  refs?: ReferenceSignals;
}

export interface ReplayOutcome {
  /** Position in the input, so a caller can join its own per-event data (labels, patterns) back. */
  index: number;
  transactionId: string;
  card: string;
  timeMs: number;
  score: number;
  verdict: Verdict;
  ruleTriggers: string[];
}

export interface ReplayOptions {
  /** Inclusive lower bound on event time (epoch ms). */
  fromMs?: number;
  /** Exclusive upper bound on event time (epoch ms). */
  toMs?: number;
  /** Called every `progressEvery` events and at the end with the number replayed. */
  onProgress?: (done: number, total: number) => void;
  progressEvery?: number;
  /**
   * Terminal/merchant label statistics as the label job would have published them at each event's
   * time, rebuilt from these labels (only transactions matured before the event count). Without
   * it the replay scores with the items' own refs only (learned models then see unknown entities).
   */
  pointInTime?: { labels: ReadonlyMap<string, boolean>; labelDelayMs?: number; priorStrength?: number };
}

export interface ReplayResult {
  outcomes: ReplayOutcome[];
  /** Events left out by fromMs/toMs. */
  outOfRange: number;
}

/**
 * Sorts by event time (stable: ties keep input order, as a partition's order would), drops
 * events outside [fromMs, toMs) before replay so state starts fresh at the window's start, and
 * scores each event against its card's state, then applies it.
 */
export function replay(items: readonly ReplayItem[], engine: Engine, opts: ReplayOptions = {}): ReplayResult {
  const from = opts.fromMs ?? Number.NEGATIVE_INFINITY;
  const to = opts.toMs ?? Number.POSITIVE_INFINITY;
  const timed = items.map((item, i) => ({ item, i, t: parseEventTime(item.event.timestamp_utc) }));
  const kept = timed.filter((x) => x.t >= from && x.t < to).sort((a, b) => a.t - b.t || a.i - b.i);
  const cards = new Map<string, CardWindow>();
  const outcomes: ReplayOutcome[] = [];
  const every = opts.progressEvery ?? 1000;
  const pit = opts.pointInTime;
  const job = pit ? new LabelJobReplay({ ...(pit.labelDelayMs !== undefined ? { labelDelayMs: pit.labelDelayMs } : {}), ...(pit.priorStrength !== undefined ? { priorStrength: pit.priorStrength } : {}) }) : undefined;
  for (const { item, i, t } of kept) {
    const card = item.event.card_number_hash;
    let state = cards.get(card);
    if (!state) cards.set(card, (state = CardWindow.empty()));
    const refs = job ? job.signals(item.event, t, item.refs) : (item.refs ?? NO_REFERENCE);
    const { decision } = engine.process(item.event, state, refs);
    // After scoring: an event never informs its own reference data.
    if (job && pit) job.record(item.event, t, pit.labels.get(item.event.transaction_id) === true);
    outcomes.push({
      index: i, transactionId: item.event.transaction_id, card, timeMs: t, score: decision.fraud_score,
      verdict: decision.verdict, ruleTriggers: decision.rule_triggers,
    });
    if (outcomes.length % every === 0) opts.onProgress?.(outcomes.length, kept.length);
  }
  opts.onProgress?.(outcomes.length, kept.length);
  return { outcomes, outOfRange: items.length - kept.length };
}
