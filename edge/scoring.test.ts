import { describe, expect, inject, it } from "vitest";
import type { VerdictResponse } from "../core/schemas.js";
import { cardHash, score, scoreBatch, txn } from "./testing/helpers.js";

// Real scores through the whole Workers path: worker → Upstash reference data (the fixture
// published by the global setup) → CardState Durable Object → core engine.

describe("scoring through the worker", () => {
  it("reference data reaches the engine: a blocked BIN is BLOCKED with its reason", async () => {
    expect(inject("upstashError")).toBe("");
    const res = await score(txn({ card_bin: "400000", amount_usd: 12 }));
    expect(res.status).toBe(200);
    const v = await res.json<VerdictResponse>();
    expect(v.verdict).toBe("BLOCKED");
    expect(v.fraud_score).toBeGreaterThanOrEqual(80);
    expect(v.rule_triggers).toContain("BLOCKED_BIN");
    expect(v.reasons.some((r) => r.code === "BLOCKED_BIN" && r.tier === "RULE")).toBe(true);
  });

  it("a clean small purchase is APPROVED and says which versions scored it", async () => {
    const v = await (await score(txn({ amount_usd: 18.4, channel: "MOBILE" }))).json<VerdictResponse>();
    expect(v.verdict).toBe("APPROVED");
    expect(v.rules_version).toMatch(/\S/);
    expect(v.model_version).toMatch(/\S/);
  });

  it("velocity across one batch: the card's 5th event within a minute trips VELOCITY_EXCEEDED", async () => {
    const card = cardHash();
    const base = Date.now() - 50_000;
    const items = Array.from({ length: 6 }, (_, i) =>
      txn({ card_number_hash: card, amount_usd: 20 + i, timestamp_utc: new Date(base + i * 5_000).toISOString() }),
    );
    const { results } = await (await scoreBatch(items)).json<{ results: VerdictResponse[] }>();
    expect(results.slice(0, 4).every((r) => !r.rule_triggers.includes("VELOCITY_EXCEEDED"))).toBe(true);
    expect(results[4]?.rule_triggers).toContain("VELOCITY_EXCEEDED");
    expect(results[5]?.rule_triggers).toContain("VELOCITY_EXCEEDED");
  });
});
