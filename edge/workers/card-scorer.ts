import type { CardScorer, ScoreAnswer, ScoreItem } from "../../core/contracts/scoring.js";
import type { CardState } from "./card-state.js";
import { residentScorer, type ResidencyRules } from "../residency.js";

// The Workers CardScorer: one Durable Object per card hash, reached by RPC, in ONE namespace
// shared by every regional Worker (the CardState class is owned by the vigil-card-state Worker and
// bound from each region with script_name), so idFromName(card hash) is the same object from any
// region. EU-home cards are addressed through the namespace's EU jurisdiction from every region;
// other cards through the plain namespace. A new object is created near the region that scores the
// card first (this deployment's location hint); hints on later calls are ignored by the platform.

export interface Placement {
  jurisdiction?: DurableObjectJurisdiction | undefined;
  locationHint?: DurableObjectLocationHint | undefined;
}

export function durableObjectScorer(ns: DurableObjectNamespace<CardState>, placement: Placement = {}): CardScorer {
  const target = placement.jurisdiction ? ns.jurisdiction(placement.jurisdiction) : ns;
  const options = placement.locationHint ? { locationHint: placement.locationHint } : undefined;
  return {
    async scoreCard(cardHash: string, items: ScoreItem[]): Promise<ScoreAnswer[]> {
      const stub = target.get(target.idFromName(cardHash), options);
      // The decisions only: features and the model vector stay in the object's outbox envelope
      // instead of being serialised back over RPC for an answer that does not carry them. (Deploy
      // vigil-card-state, which defines answerEvents, before the regional edge Workers.)
      return (await stub.answerEvents(items)) as ScoreAnswer[];
    },
  };
}

/** Location hints inside the EU: the only ones passed along with the EU jurisdiction. */
const EU_HINTS: ReadonlySet<DurableObjectLocationHint> = new Set(["weur", "eeur"]);

export interface ResidentPlacement {
  /** "eu": EU-home cards through ns.jurisdiction("eu"). "none": the plain namespace (local workerd has no jurisdictions). */
  euJurisdiction: "eu" | "none";
  /** This region's hint for objects it creates first. */
  locationHint?: DurableObjectLocationHint | undefined;
  rules: ResidencyRules;
}

/**
 * Residency by the card's home (edge/residency.ts): the card's zone picks the namespace. The EU
 * sub-namespace is taken once, here: where jurisdictions are unsupported this throws at start
 * (a configuration error), not per EU card. An EU object gets this region's hint only when the hint
 * is itself in the EU (a US region creating an EU card's object leaves the placement to the
 * jurisdiction).
 */
export function residentDurableObjectScorer(ns: DurableObjectNamespace<CardState>, p: ResidentPlacement): CardScorer {
  const euJurisdiction = p.euJurisdiction === "none" ? undefined : p.euJurisdiction;
  const euHint = p.locationHint !== undefined && (euJurisdiction === undefined || EU_HINTS.has(p.locationHint)) ? p.locationHint : undefined;
  return residentScorer(
    {
      default: durableObjectScorer(ns, { locationHint: p.locationHint }),
      eu: durableObjectScorer(ns, { jurisdiction: euJurisdiction, locationHint: euHint }),
    },
    p.rules,
  );
}
