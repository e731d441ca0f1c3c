import type { Decision, FeatureVector, ModelFeatures, ReferenceSignals, ShadowResult, ShadowRulesResult, TransactionEvent } from "../schemas.js";

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
    }
  | { decision: Decision; features?: FeatureVector | undefined; duplicate: true };

/**
 * Card state owner. Applies one card's events in the given order, atomically; answers one outcome
 * per item, in the same order. Throws on infrastructure failure (the app answers 503, retriable).
 */
export interface CardScorer {
  scoreCard(cardHash: string, items: ScoreItem[]): Promise<ScoreOutcome[]>;
}
