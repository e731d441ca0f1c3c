import { SCORED_EVENT_SCHEMA_VERSION, type FeatureVector, type ScoredEvent, type TransactionEvent } from "../../core/schemas.js";

// Valid ScoredEvent envelopes for forwarding tests: deterministic, distinct per index.

const FEATURES: FeatureVector = {
  tx_count_1min: 1,
  tx_count_5min: 1,
  tx_count_15min: 2,
  tx_count_1hr: 3,
  spend_velocity_1min: 12.5,
  spend_velocity_5min: 12.5,
  spend_velocity_15min: 40,
  spend_velocity_1hr: 80,
  unique_merchants_1hr: 2,
  unique_countries_24hr: 1,
  time_since_last_txn: 420,
  avg_txn_amount_30d: 35.2,
  txn_amount_deviation: 0.4,
  amount_usd: 12.5,
  geo_velocity_kmh: 3,
  cross_country_flag: false,
  new_device_flag: false,
  card_present_mismatch: false,
  merchant_risk_score: 0.1,
  ip_reputation_score: 0,
  terminal_risk_score: 0.05,
};

export function scoredEvent(i: number, event: Partial<TransactionEvent> = {}): ScoredEvent {
  const ts = new Date(Date.UTC(2026, 10, 28, 12, 0, 0) + i * 1000).toISOString();
  const tx = `tx-${String(i).padStart(6, "0")}`;
  return {
    schema_version: SCORED_EVENT_SCHEMA_VERSION,
    event: {
      transaction_id: tx,
      card_number_hash: `card-hash-${(i % 7).toString().padStart(4, "0")}`,
      merchant_id: `m-${i % 13}`,
      merchant_category_code: "5411",
      amount_usd: 12.5 + i,
      currency: "USD",
      timestamp_utc: ts,
      terminal_id: `t-${i % 5}`,
      device_fingerprint: undefined,
      ip_address_hash: undefined,
      geolocation: undefined,
      transaction_type: "PURCHASE",
      channel: "IN_STORE",
      ...event,
    },
    verdict: {
      transaction_id: event.transaction_id ?? tx,
      fraud_score: 12,
      verdict: "APPROVED",
      confidence: 0.9,
      rule_triggers: [],
      ml_score: 0.12,
      reasons: [],
      model_version: "model-test",
      rules_version: "rules-test",
      latency_ms: 1.5,
    },
    features: FEATURES,
    region: "local",
    received_at: ts,
  };
}

export function scoredEvents(n: number, from = 0): ScoredEvent[] {
  return Array.from({ length: n }, (_, k) => scoredEvent(from + k));
}
