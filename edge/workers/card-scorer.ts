import type { CardScorer, ScoreItem, ScoreOutcome } from "../../core/contracts/scoring.js";
import type { CardState } from "../../durable-objects/card-state.js";

// The Workers CardScorer: one Durable Object per card hash, reached by RPC. The namespace may be
// restricted to a jurisdiction (EU card state stays in the EU) and new objects placed near the
// deployment's region with a location hint.

export interface Placement {
  jurisdiction?: DurableObjectJurisdiction | undefined;
  locationHint?: DurableObjectLocationHint | undefined;
}

export function durableObjectScorer(ns: DurableObjectNamespace<CardState>, placement: Placement = {}): CardScorer {
  const target = placement.jurisdiction ? ns.jurisdiction(placement.jurisdiction) : ns;
  const options = placement.locationHint ? { locationHint: placement.locationHint } : undefined;
  return {
    async scoreCard(cardHash: string, items: ScoreItem[]): Promise<ScoreOutcome[]> {
      const stub = target.get(target.idFromName(cardHash), options);
      return (await stub.scoreEvents(items)) as ScoreOutcome[];
    },
  };
}
