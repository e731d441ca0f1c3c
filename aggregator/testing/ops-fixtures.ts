import type { ScoredEvent, Verdict } from "../../core/schemas.js";

// Scored events for ops tests: only the fields the ops tables read vary.

export interface FixtureOptions {
  id: string;
  card?: string;
  merchant?: string;
  mcc?: string;
  terminal?: string;
  channel?: ScoredEvent["event"]["channel"];
  verdict?: Verdict;
  score?: number;
  amount?: number;
  at: string;
  region?: string;
  rules?: string[];
  latencyMs?: number;
}

export function scoredEvent(o: FixtureOptions): ScoredEvent {
  const verdict = o.verdict ?? "APPROVED";
  const score = o.score ?? (verdict === "BLOCKED" ? 90 : verdict === "REVIEW" ? 60 : 10);
  return {
    schema_version: 1,
    event: {
      transaction_id: o.id,
      card_number_hash: o.card ?? "card-hash-0001",
      merchant_id: o.merchant ?? "MCH-1",
      merchant_category_code: o.mcc ?? "5411",
      amount_usd: o.amount ?? 42.5,
      currency: "USD",
      timestamp_utc: o.at,
      terminal_id: o.terminal ?? "POS-1",
      device_fingerprint: undefined,
      ip_address_hash: undefined,
      geolocation: undefined,
      transaction_type: "PURCHASE",
      channel: o.channel ?? "IN_STORE",
    },
    verdict: {
      transaction_id: o.id,
      fraud_score: score,
      verdict,
      confidence: 0.8,
      rule_triggers: o.rules ?? (verdict === "APPROVED" ? [] : ["VELOCITY_EXCEEDED"]),
      ml_score: score / 100,
      reasons: [],
      model_version: "iforest-test",
      rules_version: "rules-test",
      latency_ms: o.latencyMs ?? 12,
    },
    features: {
      tx_count_1min: 1, tx_count_5min: 1, tx_count_15min: 1, tx_count_1hr: 1,
      spend_velocity_1min: 1, spend_velocity_5min: 1, spend_velocity_15min: 1, spend_velocity_1hr: 1,
      unique_merchants_1hr: 1, unique_countries_24hr: 1, time_since_last_txn: 60, avg_txn_amount_30d: 40,
      txn_amount_deviation: 0.1, amount_usd: o.amount ?? 42.5, geo_velocity_kmh: 0,
      cross_country_flag: false, new_device_flag: false, card_present_mismatch: false,
      merchant_risk_score: 0.01, ip_reputation_score: 0, terminal_risk_score: 0,
    },
    region: o.region ?? "us-east",
    received_at: o.at,
  };
}
