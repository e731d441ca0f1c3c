import { describe, expect, it } from "vitest";
import type { ScoredEvent, Verdict } from "../schemas.js";
import { alertOf, fraudReason } from "./alert.js";

const FEATURES = {
  tx_count_1min: 0, tx_count_5min: 0, tx_count_15min: 0, tx_count_1hr: 0, tx_count_24hr: 0,
};

function scored(verdict: Verdict, reasons: ScoredEvent["verdict"]["reasons"], rules: string[], ts = "2026-06-15T16:10:00.000+02:00"): ScoredEvent {
  const base = {
    transaction_id: "TXN-1", card_number_hash: "card_1", merchant_id: "MCH-1", merchant_category_code: "5411", amount_usd: 10,
    currency: "USD", timestamp_utc: ts, terminal_id: "POS-1", device_fingerprint: "fp", ip_address_hash: "ip",
    geolocation: { lat: 0, lon: 0 }, transaction_type: "PURCHASE", channel: "IN_STORE",
  };
  return {
    schema_version: 1,
    event: base,
    verdict: { transaction_id: "TXN-1", fraud_score: 85, verdict, confidence: 0.9, rule_triggers: rules, ml_score: 0.7, reasons, model_version: "m", rules_version: "r", latency_ms: 1 },
    features: FEATURES,
    region: "local",
    received_at: ts,
  } as unknown as ScoredEvent;
}

describe("alertOf", () => {
  it("APPROVED has no alert; REVIEW and BLOCKED do, stamped with event time in UTC", () => {
    expect(alertOf(scored("APPROVED", [], []))).toBeUndefined();
    expect(alertOf(scored("REVIEW", [], ["R1"]))).toMatchObject({ action_taken: "REVIEW", alert_timestamp: "2026-06-15T14:10:00.000Z" });
    expect(alertOf(scored("BLOCKED", [], []))).toMatchObject({ action_taken: "BLOCKED", fraud_reason: "BLOCKED at score 85", rule_triggers: [] });
  });

  it("fraud_reason names the three reasons that added most, strongest first, ties by code", () => {
    const reasons = [
      { code: "B", tier: "RULE" as const, detail: "b", contribution: 10 },
      { code: "A", tier: "RULE" as const, detail: "a", contribution: 10 },
      { code: "C", tier: "ML" as const, detail: "c", contribution: 30 },
      { code: "D", tier: "STAT" as const, detail: "d", contribution: 5 },
      { code: "E", tier: "STAT" as const, detail: "e", contribution: 0 },
    ];
    expect(fraudReason(scored("BLOCKED", reasons, ["X"]))).toBe("C: c; A: a; B: b");
    expect(fraudReason(scored("BLOCKED", [], ["X", "Y"]))).toBe("X; Y");
  });
});
