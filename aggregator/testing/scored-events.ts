import { randomUUID } from "node:crypto";
import { alertOf as productAlertOf } from "../../core/contracts/alert.js";
import { FEATURE_NAMES, ScoredEventSchema, type Alert, type FeatureVector, type ScoredEvent, type Verdict } from "../../core/schemas.js";

// Valid ScoredEvent / Alert builders for the contract suites and sink tests. Every record is run
// through the real schema, so a fixture can never drift from the contract the edge sends.

/** A short unique suffix so tests sharing one server never see each other's rows. */
export const uniq = (): string => randomUUID().replace(/-/g, "").slice(0, 12);

export interface EventSpec {
  txId?: string;
  card?: string;
  ts: string;
  amount?: number;
  verdict?: Verdict;
  score?: number;
  mcc?: string;
  device?: string;
  geo?: { lat: number; lon: number };
  rules?: string[];
}

function features(amount: number): FeatureVector {
  const f = Object.fromEntries(FEATURE_NAMES.map((n) => [n, 0])) as Record<string, unknown>;
  for (const flag of ["cross_country_flag", "new_device_flag", "card_present_mismatch"]) f[flag] = false;
  f.amount_usd = amount;
  return f as FeatureVector;
}

export function scoredEvent(s: EventSpec): ScoredEvent {
  const verdict = s.verdict ?? "APPROVED";
  const score = s.score ?? (verdict === "BLOCKED" ? 90 : verdict === "REVIEW" ? 60 : 10);
  const amount = s.amount ?? 25.5;
  const txId = s.txId ?? `TXN-${uniq()}`;
  return ScoredEventSchema.parse({
    schema_version: 1,
    event: {
      transaction_id: txId,
      card_number_hash: s.card ?? `card_${uniq()}`,
      merchant_id: "MCH-4829",
      merchant_category_code: s.mcc ?? "5411",
      amount_usd: amount,
      currency: "USD",
      timestamp_utc: s.ts,
      terminal_id: "POS-NYC-0029",
      device_fingerprint: s.device ?? "fp_abc123xyz",
      ip_address_hash: "hashed_ip",
      geolocation: s.geo ?? { lat: 40.7128, lon: -74.006 },
      transaction_type: "PURCHASE",
      channel: "IN_STORE",
    },
    verdict: {
      transaction_id: txId,
      fraud_score: score,
      verdict,
      confidence: 0.8,
      rule_triggers: s.rules ?? (verdict === "APPROVED" ? [] : ["VELOCITY_1MIN"]),
      ml_score: 0.42,
      reasons: [],
      model_version: "iforest-test",
      rules_version: "rules-test",
      latency_ms: 3.5,
    },
    features: features(amount),
    region: "local",
    received_at: s.ts,
  });
}

/** The product's alert row (core/contracts/alert.ts) of a REVIEW or BLOCKED fixture event. */
export function alertOf(r: ScoredEvent): Alert {
  const alert = productAlertOf(r);
  if (alert === undefined) throw new Error(`fixture ${r.event.transaction_id} is APPROVED: an approved event has no alert row`);
  return alert;
}

export const HOUR_MS = 3600_000;
export const iso = (ms: number): string => new Date(ms).toISOString();
