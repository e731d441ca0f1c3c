import type { FieldIssue, ReferenceSignals, TransactionEvent, VerdictResponse } from "../../core/schemas.js";
import { edgeError } from "../errors.js";
import type { EdgeDeps, ReferenceLookup } from "../ports.js";
import type { ScoreAnswer, ScoreItem } from "../../core/contracts/scoring.js";
import { eventFingerprint } from "../../core/contracts/fingerprint.js";
import { idempotencyKey } from "../idempotency.js";
import { cardZone } from "../residency.js";

// The scoring path shared by the single and batch routes: reference lookups, one scorer call per
// card (that card's events in request order, cards in parallel), verdicts. Idempotency: each item
// carries its key (caller, transaction id) and the payload's fingerprint; a reused key with another
// payload answers 409 IDEMPOTENCY_CONFLICT (that card's call applied nothing).

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

/** Who sent the events: the idempotency key's caller part (edge/idempotency.ts). */
export interface Caller {
  tokenId?: string | undefined;
}

/**
 * Scores events (already validated and authorized). Forwarding is the card-state owner's: each new
 * event's envelope is committed with the state (outbox) and sent from there, so nothing is
 * forwarded here and a failure after the commit cannot lose an event.
 */
export async function scoreEvents(
  deps: EdgeDeps,
  events: TransactionEvent[],
  startedMs: number,
  requestId: string,
  caller: Caller,
): Promise<Scored[]> {
  const [lookups, fingerprints] = await Promise.all([
    Promise.all(events.map((e) => lookup(deps, e, requestId))),
    Promise.all(events.map((e) => eventFingerprint(e))),
  ]);

  const byCard = new Map<string, number[]>();
  events.forEach((e, i) => {
    const list = byCard.get(e.card_number_hash);
    if (list) list.push(i);
    else byCard.set(e.card_number_hash, [i]);
  });

  const receivedAt = new Date(startedMs).toISOString();
  const rules = { euBins: deps.config.EU_CARD_BINS };
  const outcomes: ScoreAnswer[] = new Array<ScoreAnswer>(events.length);
  try {
    await Promise.all(
      [...byCard].map(async ([card, idx]) => {
        const zone = cardZone(idx.map((i) => events[i] as TransactionEvent), rules);
        const items: ScoreItem[] = idx.map((i) => {
          const l = lookups[i] ?? { signals: UNAVAILABLE };
          const event = events[i] as TransactionEvent;
          return {
            event,
            refs: l.signals,
            idempotencyKey: idempotencyKey({ tokenId: caller.tokenId, merchantId: event.merchant_id }, event.transaction_id),
            fingerprint: fingerprints[i] as string,
            forward: { region: deps.config.REGION, receivedAt, zone },
            ...(l.rulesVersion !== undefined ? { rulesVersion: l.rulesVersion } : {}),
            ...(l.modelVersion !== undefined ? { modelVersion: l.modelVersion } : {}),
            ...(l.shadowModelVersion !== undefined ? { shadowModelVersion: l.shadowModelVersion } : {}),
            ...(l.shadowRulesVersion !== undefined ? { shadowRulesVersion: l.shadowRulesVersion } : {}),
          };
        });
        const res = await deps.scorer.scoreCard(card, items);
        if (res.length !== items.length) throw new Error(`scorer answered ${res.length} outcomes for ${items.length} events`);
        idx.forEach((i, k) => (outcomes[i] = res[k] as ScoreAnswer));
      }),
    );
  } catch (err) {
    deps.log.error("SCORING_FAILED", { request_id: requestId, events: events.length, error: describe(err) });
    throw edgeError("SCORING_UNAVAILABLE", "card state is unavailable; retry the request");
  }

  const conflicts: FieldIssue[] = [];
  outcomes.forEach((o, i) => {
    if (o.refused && o.conflict) {
      conflicts.push({ path: events.length === 1 ? "transaction_id" : `transactions.${i}.transaction_id`, message: "already used by this caller with a different payload" });
    }
  });
  if (conflicts.length > 0) {
    deps.log.info("IDEMPOTENCY_CONFLICT", { request_id: requestId, items: conflicts.length });
    throw edgeError(
      "IDEMPOTENCY_CONFLICT",
      "a transaction_id was reused with a different payload; the first request's verdict stands (nothing of this card's events was applied)",
      conflicts,
    );
  }

  const latency = Math.max(0, deps.now() - startedMs);
  return outcomes.map((o) => {
    // A refused outcome without a conflict shares a card call with one: handled above.
    if (o.refused) throw new Error("refused outcome without a conflict in the request");
    return { response: { ...o.decision, latency_ms: latency }, duplicate: o.duplicate };
  });
}
