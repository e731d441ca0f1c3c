import type { CardWindow, Engine } from "../../core/index.js";
import type { ScoreItem, ScoreOutcome } from "../../core/contracts/scoring.js";
import type { Decision, FeatureVector } from "../../core/schemas.js";
import { parseEventTime } from "../../core/window/time.js";

// The per-item loop every card-state owner runs (the CardState Durable Object, the Deno KV store):
// duplicate check → engine.process → record, in the items' order, on one card's window. Where
// the window and the seen ids are stored is the owner's business; what happens per item is here.

/** Idle cards are forgotten this long after their last event (the spec's 90-day TTL). */
export const IDLE_TTL_MS = 90 * 86_400_000;
/** Idempotency memory: transaction ids are remembered this long in event time… */
export const SEEN_RETENTION_MS = 35 * 86_400_000;
/** …and, where the store can count them, at most this many per card (oldest event time forgotten first). */
export const MAX_SEEN = 2000;

/** A card's memory of the transaction ids it has scored. */
export interface SeenLedger {
  /** The first answer for this id, or undefined when the id is new to this card. */
  prior(transactionId: string): { decision: Decision; features?: FeatureVector | undefined } | undefined;
  /** Remembers a newly scored id (a later item of the same call with this id is then a duplicate). */
  record(transactionId: string, decision: Decision, features: FeatureVector, eventMs: number): void;
}

/**
 * Scores and applies `items` in order; engines[i] scores items[i]. A duplicate answers the first
 * decision and leaves the window alone. Returns the outcomes and how many items were new.
 */
export function scoreCardItems(items: readonly ScoreItem[], engines: readonly Engine[], window: CardWindow, seen: SeenLedger): { outcomes: ScoreOutcome[]; fresh: number } {
  const outcomes: ScoreOutcome[] = [];
  let fresh = 0;
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as ScoreItem;
    const id = item.event.transaction_id;
    const prior = seen.prior(id);
    if (prior) {
      outcomes.push({ decision: prior.decision, features: prior.features, duplicate: true });
      continue;
    }
    const engine = engines[i];
    if (!engine) throw new Error("no engine resolved for item");
    const r = engine.process(item.event, window, item.refs);
    const { decision, features } = r;
    seen.record(id, decision, features, parseEventTime(item.event.timestamp_utc));
    fresh++;
    outcomes.push({
      decision,
      features,
      duplicate: false,
      // JSON has no NaN: a missing model feature travels as null.
      ...(r.modelFeatures && r.modelFeatureLayout ? { modelFeatures: { layout: r.modelFeatureLayout, values: Array.from(r.modelFeatures, (v) => (Number.isFinite(v) ? v : null)) } } : {}),
      ...(r.shadow ? { shadow: { model_version: r.shadow.model_version, fraud_score: r.shadow.fraud_score, verdict: r.shadow.verdict } } : {}),
      ...(r.shadowRules ? { shadowRules: r.shadowRules } : {}),
    });
  }
  return { outcomes, fresh };
}
