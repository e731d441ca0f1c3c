import {
  SCORED_EVENT_SCHEMA_VERSION,
  SCORED_EVENT_SCHEMA_VERSION_V2,
  type ReferenceSignals,
  type ScoredEvent,
  type TransactionEvent,
  type VerdictResponse,
} from "../../core/schemas.js";
import { HttpError } from "../errors.js";
import type { EdgeDeps, ReferenceLookup } from "../ports.js";
import type { ScoreItem, ScoreOutcome } from "../../core/contracts/scoring.js";

// The scoring path shared by the single and batch routes: reference lookups, one scorer call per
// card (that card's events in request order, cards in parallel), verdicts, then forwarding.

export interface Scored {
  response: VerdictResponse;
  duplicate: boolean;
}

const UNAVAILABLE: ReferenceSignals = { status: "UNAVAILABLE" };

async function lookup(deps: EdgeDeps, event: TransactionEvent, requestId: string): Promise<ReferenceLookup> {
  try {
    return await deps.reference.lookup(event, { waitUntil: (p) => deps.waitUntil(p) });
  } catch (err) {
    // The port promises never to throw; if an adapter does anyway, score without references, loudly.
    deps.log.error("REFERENCE_LOOKUP_THREW", { request_id: requestId, error: describe(err) });
    return { signals: UNAVAILABLE };
  }
}

export function describe(err: unknown): string {
  return (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 200);
}

/** Scores events (already validated and authorized) and forwards the new ones. */
export async function scoreAndForward(
  deps: EdgeDeps,
  events: TransactionEvent[],
  startedMs: number,
  requestId: string,
): Promise<Scored[]> {
  const lookups = await Promise.all(events.map((e) => lookup(deps, e, requestId)));

  const byCard = new Map<string, number[]>();
  events.forEach((e, i) => {
    const list = byCard.get(e.card_number_hash);
    if (list) list.push(i);
    else byCard.set(e.card_number_hash, [i]);
  });

  const outcomes: ScoreOutcome[] = new Array<ScoreOutcome>(events.length);
  try {
    await Promise.all(
      [...byCard].map(async ([card, idx]) => {
        const items: ScoreItem[] = idx.map((i) => {
          const l = lookups[i] ?? { signals: UNAVAILABLE };
          return {
            event: events[i] as TransactionEvent,
            refs: l.signals,
            ...(l.rulesVersion !== undefined ? { rulesVersion: l.rulesVersion } : {}),
            ...(l.modelVersion !== undefined ? { modelVersion: l.modelVersion } : {}),
            ...(l.shadowModelVersion !== undefined ? { shadowModelVersion: l.shadowModelVersion } : {}),
            ...(l.shadowRulesVersion !== undefined ? { shadowRulesVersion: l.shadowRulesVersion } : {}),
          };
        });
        const res = await deps.scorer.scoreCard(card, items);
        if (res.length !== items.length) throw new Error(`scorer answered ${res.length} outcomes for ${items.length} events`);
        idx.forEach((i, k) => (outcomes[i] = res[k] as ScoreOutcome));
      }),
    );
  } catch (err) {
    deps.log.error("SCORING_FAILED", { request_id: requestId, events: events.length, error: describe(err) });
    throw new HttpError("SCORING_UNAVAILABLE", "card state is unavailable; retry the request");
  }

  const receivedAt = new Date(startedMs).toISOString();
  const latency = Math.max(0, deps.now() - startedMs);
  const scored: Scored[] = outcomes.map((o) => ({ response: { ...o.decision, latency_ms: latency }, duplicate: o.duplicate }));

  const records: ScoredEvent[] = [];
  outcomes.forEach((o, i) => {
    if (o.duplicate) return; // already forwarded when first scored
    const base = {
      event: events[i] as TransactionEvent,
      verdict: (scored[i] as Scored).response,
      features: o.features,
      region: deps.config.REGION,
      received_at: receivedAt,
    };
    // v2 carries the model features as scored (the feature store's rows); v1 when the engine gave none.
    records.push(
      o.modelFeatures
        ? { schema_version: SCORED_EVENT_SCHEMA_VERSION_V2, ...base, model_features: o.modelFeatures, ...(o.shadow ? { shadow: o.shadow } : {}), ...(o.shadowRules ? { shadow_rules: o.shadowRules } : {}) }
        : { schema_version: SCORED_EVENT_SCHEMA_VERSION, ...base },
    );
  });
  if (records.length > 0) {
    deps.waitUntil(
      deps.forwarder.forward(records).catch((err: unknown) => {
        deps.log.error("FORWARD_FAILED", { request_id: requestId, records: records.length, error: describe(err) });
      }),
    );
  }
  return scored;
}
