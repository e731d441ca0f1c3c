import type { ForwardContext, ScoreItem, ScoreOutcome } from "../contracts/scoring.js";
import { FINGERPRINT_PATTERN, SCORED_EVENT_SCHEMA_VERSION, SCORED_EVENT_SCHEMA_VERSION_V2, type ScoredEvent } from "../schemas.js";

// The forwarded envelope (core ScoredEvent) of one newly scored event, built by the card-state
// owner inside the commit that applies the event, so the outbox row (Durable Object) or queue
// message (Deno KV) is written atomically with the state: an event is never scored-but-unsent.
// The zone and the fingerprint the route computed travel in it (nobody downstream recomputes them).

type Fresh = Extract<ScoreOutcome, { duplicate: false }>;

/** Context for callers that pass none (direct object calls in tests, older edges during a deploy). */
export function defaultForwardContext(region: string, nowMs: number): ForwardContext {
  return { region, receivedAt: new Date(nowMs).toISOString(), zone: "default" };
}

/**
 * v2 carries the model features as scored (the feature store's rows); v1 when the engine gave
 * none. latency_ms is measured from receipt to the commit (the answer adds the way back).
 */
export function scoredEnvelope(item: ScoreItem, o: Fresh, ctx: ForwardContext, nowMs: number): ScoredEvent {
  const received = Date.parse(ctx.receivedAt);
  const base = {
    event: item.event,
    verdict: { ...o.decision, latency_ms: Number.isFinite(received) ? Math.max(0, nowMs - received) : 0 },
    features: o.features,
    region: ctx.region,
    received_at: ctx.receivedAt,
    ...(item.idempotencyKey !== undefined ? { idempotency_key: item.idempotencyKey } : {}),
    // Carried only as the route decided them: a caller without a forward context (tests, an older
    // edge mid-deploy) leaves the zone to be computed downstream, as before.
    ...(item.forward !== undefined ? { zone: item.forward.zone } : {}),
    // A fingerprint of another shape (direct calls in tests) would fail the envelope's schema downstream.
    ...(item.fingerprint !== undefined && FINGERPRINT_PATTERN.test(item.fingerprint) ? { fingerprint: item.fingerprint } : {}),
  };
  return o.modelFeatures
    ? { schema_version: SCORED_EVENT_SCHEMA_VERSION_V2, ...base, model_features: o.modelFeatures, ...(o.shadow ? { shadow: o.shadow } : {}), ...(o.shadowRules ? { shadow_rules: o.shadowRules } : {}) }
    : { schema_version: SCORED_EVENT_SCHEMA_VERSION, ...base };
}
