import { generateStream, type LabelledEvent } from "../core/sim/index.js";
import type { ScoreResult } from "./edge-client.js";

// Traffic for the tools: the seeded simulator, with event times placed in the recent past so the
// edge (which refuses timestamps ahead of its clock) accepts them, one card's events in order.

export interface TrafficOptions {
  seed: number;
  cards: number;
  events: number;
  fraudRate: number;
  /** Event time of the first event; default: far enough back that the whole stream is in the past. */
  startMs?: number;
  /** Events per second of event time the stream should cover (sets each card's mean gap). */
  eventRate: number;
}

export function traffic(opts: TrafficOptions): Generator<LabelledEvent, void, undefined> {
  const spanMs = (opts.events / opts.eventRate) * 1000;
  return generateStream({
    seed: opts.seed,
    cards: opts.cards,
    events: opts.events,
    fraudRate: opts.fraudRate,
    startMs: opts.startMs ?? Date.now() - spanMs * 1.2 - 120_000,
    meanGapSeconds: opts.cards / opts.eventRate,
  });
}

/** Verdict counts and per-label outcomes, shared by producer and load test summaries. */
export class Tally {
  readonly verdicts = { APPROVED: 0, REVIEW: 0, BLOCKED: 0 };
  readonly errors = new Map<string, number>();
  readonly latencies: number[] = [];
  readonly outcomes: Array<{ isFraud: boolean; flagged: boolean; pattern?: string; score: number; card: string }> = [];

  /** Counts one edge answer for a labelled event: a verdict with its outcome, or an error code. */
  record(item: LabelledEvent, r: ScoreResult): void {
    if (!r.ok) return this.error(r.code);
    this.verdicts[r.verdict.verdict]++;
    this.latencies.push(r.latencyMs);
    this.outcomes.push({ isFraud: item.is_fraud, flagged: r.verdict.verdict !== "APPROVED", score: r.verdict.fraud_score, card: item.event.card_number_hash, ...(item.pattern ? { pattern: item.pattern } : {}) });
  }

  error(code: string): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  get sent(): number {
    return this.verdicts.APPROVED + this.verdicts.REVIEW + this.verdicts.BLOCKED + [...this.errors.values()].reduce((a, b) => a + b, 0);
  }

  get errorCount(): number {
    return [...this.errors.values()].reduce((a, b) => a + b, 0);
  }
}
