import { SCORED_EVENT_SCHEMA_VERSION, type ScoredEvent, type Verdict } from "../../core/schemas.js";
import { signBody } from "../../core/signing.js";

// Valid scored events for ingest tests and the benchmark: distinct per (run, index), spread over
// `cards` card hashes, with a verdict mix (every 10th REVIEW, every 25th BLOCKED by default).

export interface FixtureOptions {
  run: string;
  cards?: number;
  verdictOf?: (i: number) => Verdict;
  /** Event time of record 0; record i is i ms later. */
  baseMs?: number;
  receivedAt?: string;
}

export const defaultVerdict = (i: number): Verdict => (i % 25 === 0 ? "BLOCKED" : i % 10 === 0 ? "REVIEW" : "APPROVED");

export function scoredRecord(i: number, o: FixtureOptions): ScoredEvent {
  const verdict = (o.verdictOf ?? defaultVerdict)(i);
  const score = verdict === "BLOCKED" ? 91 : verdict === "REVIEW" ? 63 : 12;
  const ts = new Date((o.baseMs ?? Date.UTC(2026, 10, 28, 12)) + i).toISOString();
  const tx = `${o.run}-${i}`;
  const card = `card-${o.run}-${i % (o.cards ?? 97)}`;
  const reasons =
    verdict === "APPROVED"
      ? []
      : [
          { code: "VELOCITY_EXCEEDED", tier: "RULE" as const, detail: "5 transactions in 1 minute", contribution: 40 },
          { code: "ML_ANOMALY", tier: "ML" as const, detail: "isolation forest score 0.81", contribution: score - 40 },
        ];
  return {
    schema_version: SCORED_EVENT_SCHEMA_VERSION,
    event: {
      transaction_id: tx,
      card_number_hash: card,
      merchant_id: `m-${i % 31}`,
      merchant_category_code: ["5411", "5812", "5999", "6011"][i % 4]!,
      amount_usd: 10 + (i % 500),
      currency: "USD",
      timestamp_utc: ts,
      terminal_id: `t-${i % 11}`,
      device_fingerprint: `fp-${i % 13}`,
      ip_address_hash: `ip-${i % 17}`,
      geolocation: { lat: 40.7, lon: -74 },
      transaction_type: "PURCHASE",
      channel: "ONLINE",
    },
    verdict: {
      transaction_id: tx,
      fraud_score: score,
      verdict,
      confidence: 0.9,
      rule_triggers: verdict === "APPROVED" ? [] : ["VELOCITY_EXCEEDED"],
      ml_score: verdict === "APPROVED" ? 0.1 : 0.81,
      reasons,
      model_version: "if-test",
      rules_version: "rules-test",
      latency_ms: 2,
    },
    features: {
      tx_count_1min: 1, tx_count_5min: 2, tx_count_15min: 3, tx_count_1hr: 4,
      spend_velocity_1min: 10, spend_velocity_5min: 20, spend_velocity_15min: 30, spend_velocity_1hr: 40,
      unique_merchants_1hr: 2, unique_countries_24hr: 1, time_since_last_txn: 30, avg_txn_amount_30d: 50,
      txn_amount_deviation: 0.2, amount_usd: 10 + (i % 500), geo_velocity_kmh: 0,
      cross_country_flag: false, new_device_flag: false, card_present_mismatch: false,
      merchant_risk_score: 0.1, ip_reputation_score: 0.1, terminal_risk_score: 0.1,
    },
    region: "local",
    received_at: o.receivedAt ?? ts,
  };
}

export function scoredRecords(from: number, count: number, o: FixtureOptions): ScoredEvent[] {
  return Array.from({ length: count }, (_, k) => scoredRecord(from + k, o));
}

/** A signed POST /v1/ingest request, as the edge's queue consumer sends it. */
export async function signedIngest(url: string, secret: string, body: string, nowSeconds: number, keyId?: string): Promise<Request> {
  const headers = await signBody(secret, body, nowSeconds, keyId);
  return new Request(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
}
