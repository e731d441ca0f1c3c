import type { CardWindow, Engine } from "../index.js";
import type { ScoreItem, ScoreOutcome } from "../contracts/scoring.js";
import type { Decision, FeatureVector } from "../schemas.js";
import { parseEventTime } from "../window/time.js";

// The per-item loop every card-state owner runs (the CardState Durable Object, the Deno KV store):
// duplicate check → engine.process → record, in the items' order, on one card's window. Where
// the window and the seen ids are stored is the owner's business; what happens per item is here.

/** Idle cards are forgotten this long after their last event (the spec's 90-day TTL). */
export const IDLE_TTL_MS = 90 * 86_400_000;
/** Idempotency memory: transaction ids are remembered this long in event time… */
export const SEEN_RETENTION_MS = 35 * 86_400_000;
/** …and, where the store can count them, at most this many per card (oldest event time forgotten first). */
export const MAX_SEEN = 2000;

/** What a card remembers of an idempotency key: the first answer and the payload's fingerprint ('' = not known). */
export interface SeenEntry {
  decision: Decision;
  features?: FeatureVector | undefined;
  fingerprint?: string | undefined;
}

/** A card's memory of the idempotency keys it has scored. */
export interface SeenLedger {
  /**
   * The first answer for this key, or undefined when it is new to this card. `transactionId` lets
   * an owner find entries written before keys had a caller part (the bare transaction id).
   */
  prior(key: string, transactionId: string): SeenEntry | undefined;
  /** Remembers a newly scored key (a later item of the same call with this key is then a duplicate). */
  record(key: string, decision: Decision, features: FeatureVector, eventMs: number, fingerprint: string): void;
}

/** The key an item is remembered by: its idempotency key, else (older callers) the transaction id. */
export const keyOf = (item: ScoreItem): string => item.idempotencyKey ?? item.event.transaction_id;

const differs = (a: string | undefined, b: string | undefined): boolean => a !== undefined && a !== "" && b !== undefined && b !== "" && a !== b;

export interface CardItemsResult {
  outcomes: ScoreOutcome[];
  /** Items newly applied (0 when the call was refused or held only duplicates). */
  fresh: number;
  /** A key was reused with another payload: nothing was applied, nothing recorded. */
  refused: boolean;
}

/**
 * Scores and applies `items` in order; engines[i] scores items[i]. A duplicate (same key, same
 * payload or no fingerprint to compare) answers the first decision and leaves the window alone. A
 * key reused with another payload refuses the whole call before anything is applied, so a
 * conflict never changes state.
 */
export function scoreCardItems(items: readonly ScoreItem[], engines: readonly Engine[], window: CardWindow, seen: SeenLedger): CardItemsResult {
  // Pass 1: every key's prior entry (one ledger read per item) and conflicts, before any change.
  const priors: (SeenEntry | undefined)[] = [];
  const firstInCall = new Map<string, string>();
  const conflicts = new Set<number>();
  items.forEach((item, i) => {
    const key = keyOf(item);
    const p = seen.prior(key, item.event.transaction_id);
    priors.push(p);
    const earlier = p?.fingerprint ?? firstInCall.get(key);
    if (differs(earlier, item.fingerprint)) conflicts.add(i);
    if (!p && !firstInCall.has(key)) firstInCall.set(key, item.fingerprint ?? "");
  });
  if (conflicts.size > 0) {
    return {
      outcomes: items.map((_, i) => ({ refused: "IDEMPOTENCY_CONFLICT", conflict: conflicts.has(i), duplicate: true })),
      fresh: 0,
      refused: true,
    };
  }
  // Pass 2: apply in order; a key repeated inside the call answers what its first item got.
  const outcomes: ScoreOutcome[] = [];
  const inCall = new Map<string, Decision>();
  let fresh = 0;
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as ScoreItem;
    const key = keyOf(item);
    const prior = priors[i];
    if (prior) {
      outcomes.push({ decision: prior.decision, features: prior.features, duplicate: true });
      continue;
    }
    const again = inCall.get(key);
    if (again) {
      outcomes.push({ decision: again, duplicate: true });
      continue;
    }
    const engine = engines[i];
    if (!engine) throw new Error("no engine resolved for item");
    const r = engine.process(item.event, window, item.refs);
    const { decision, features } = r;
    seen.record(key, decision, features, parseEventTime(item.event.timestamp_utc), item.fingerprint ?? "");
    inCall.set(key, decision);
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
  return { outcomes, fresh, refused: false };
}
