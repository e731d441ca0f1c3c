import { describe, expect, it } from "vitest";
import type { ScoreItem } from "../contracts/scoring.js";
import { ScoredEventV1Schema, type Decision, type FeatureVector } from "../schemas.js";
import { ev } from "../testing/features.js";
import { scoredEnvelope } from "./envelope.js";

// The envelope a card owner commits to its outbox: v2 with the model vector (and the shadow when
// there is one), v1 without; the idempotency key rides along; latency counts from receipt.

const decision = (id: string): Decision => ({ transaction_id: id, fraud_score: 10, verdict: "APPROVED", confidence: 0.9, rule_triggers: [], ml_score: 0.1, reasons: [], model_version: "m", rules_version: "r" });

describe("scoredEnvelope", () => {
  const event = ev(0);
  const item: ScoreItem = { event, refs: { status: "OK" }, idempotencyKey: `tok:gw/${event.transaction_id}` };
  const ctx = { region: "us", receivedAt: "2026-12-02T10:00:00.000Z", zone: "default" as const };
  const at = Date.parse(ctx.receivedAt) + 7;
  const features = {} as FeatureVector;

  it("v2 with model features and shadow; v1 without; key and latency carried", () => {
    const mf = { layout: "mf1-test", values: [1, null, 2.5] };
    const shadow = { model_version: "gbdt-2", fraud_score: 71, verdict: "REVIEW" as const };
    const v2 = scoredEnvelope(item, { decision: decision(event.transaction_id), features, duplicate: false, modelFeatures: mf, shadow }, ctx, at);
    expect(v2).toMatchObject({ schema_version: 2, model_features: mf, shadow, region: "us", received_at: ctx.receivedAt, idempotency_key: item.idempotencyKey, verdict: { latency_ms: 7 } });
    const v1 = scoredEnvelope({ ...item, idempotencyKey: undefined as never }, { decision: decision(event.transaction_id), features, duplicate: false }, ctx, at);
    expect(v1.schema_version).toBe(1);
    expect(v1).not.toHaveProperty("model_features");
    expect(v1).not.toHaveProperty("idempotency_key");
  });

  it("carries the route's zone and fingerprint; computes neither when the caller gave none", () => {
    const fresh = { decision: decision(event.transaction_id), features, duplicate: false as const };
    const fingerprint = "0123456789abcdef0123456789abcdef";
    const carried = scoredEnvelope({ ...item, fingerprint, forward: { ...ctx, zone: "eu" } }, fresh, { ...ctx, zone: "eu" }, at);
    expect(carried).toMatchObject({ zone: "eu", fingerprint });
    expect(ScoredEventV1Schema.pick({ zone: true, fingerprint: true }).safeParse({ zone: carried.zone, fingerprint: carried.fingerprint }).success).toBe(true);
    // No forward context (direct calls, older edges): the zone is left to the forwarder, as before.
    const bare = scoredEnvelope(item, fresh, ctx, at);
    expect(bare).not.toHaveProperty("zone");
    expect(bare).not.toHaveProperty("fingerprint");
    // A fingerprint of another shape never reaches the envelope (it would fail the schema downstream).
    expect(scoredEnvelope({ ...item, fingerprint: "f1", forward: ctx }, fresh, ctx, at)).not.toHaveProperty("fingerprint");
  });
});
