import type { Decision, FeatureVector, ModelFeatures, ReferenceSignals, ResidencyZone, ShadowResult, ShadowRulesResult, TransactionEvent } from "../schemas.js";

// The per-card scoring port: what the edge app asks of whoever owns a card's state (a Durable
// Object on Workers, Deno KV on Deno) and what it answers.

export interface ScoreItem {
  event: TransactionEvent;
  refs: ReferenceSignals;
  /** Active versions named by the reference data, if any; the owner falls back to its default engine. */
  rulesVersion?: string;
  modelVersion?: string;
  /** The shadow model named by the reference data: scored beside, never decides. */
  shadowModelVersion?: string;
  /** The shadow rule set named by the reference data: evaluated beside the active one, never decides. */
  shadowRulesVersion?: string;
  /**
   * What makes two requests "the same request": (caller token id, transaction id), see
   * edge/idempotency.ts. Absent (direct calls, older callers): the transaction id alone.
   */
  idempotencyKey?: string;
  /** Hash of the canonical event: a reused key with another fingerprint is a conflict, not a duplicate. */
  fingerprint?: string;
  /** Where and when the event was received: the owner builds the forwarded envelope in its outbox from it. */
  forward?: ForwardContext;
}

/** The envelope fields the owner cannot know by itself; it commits the envelope with the state. */
export interface ForwardContext {
  /** The edge region that received the event (ScoredEvent.region). */
  region: string;
  /** ISO time of receipt (ScoredEvent.received_at; also the start of latency_ms). */
  receivedAt: string;
  /** The card's residency zone (edge/residency.ts): picks the queue the outbox sends to; carried in the envelope. */
  zone: ResidencyZone;
}

/**
 * duplicate: the same transaction_id was seen before on this card; the first verdict is returned,
 * windows unchanged, nothing forwarded again (so a store need not keep the features for it).
 */
export type ScoreOutcome =
  | {
      decision: Decision;
      features: FeatureVector;
      duplicate: false;
      /** The model feature vector as scored (null = missing), for the feature store; absent from older engines. */
      modelFeatures?: ModelFeatures;
      shadow?: ShadowResult;
      shadowRules?: ShadowRulesResult;
      refused?: undefined;
    }
  | { decision: Decision; features?: FeatureVector | undefined; duplicate: true; refused?: undefined }
  /**
   * The call was refused, nothing of it applied: this item reuses an idempotency key with another
   * payload (conflict: true) or shares the call with one that does (conflict: false).
   */
  | { refused: "IDEMPOTENCY_CONFLICT"; conflict: boolean; duplicate: true; decision?: undefined; features?: undefined };

/**
 * What the edge app needs back per item to answer: the decision (or the refusal). Features, the
 * model vector and shadow results stay with the owner, which puts them in the forwarded envelope;
 * a full ScoreOutcome is one too.
 */
export type ScoreAnswer =
  | { decision: Decision; duplicate: boolean; refused?: undefined }
  | { refused: "IDEMPOTENCY_CONFLICT"; conflict: boolean; duplicate: true; decision?: undefined };

/**
 * Card state owner. Applies one card's events in the given order, atomically; answers one outcome
 * per item, in the same order. Throws on infrastructure failure (the app answers 503, retriable).
 */
export interface CardScorer {
  scoreCard(cardHash: string, items: ScoreItem[]): Promise<ScoreAnswer[]>;
}
