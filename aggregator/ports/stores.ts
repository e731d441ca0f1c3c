import type { Alert, ScoredEvent } from "../../core/schemas.js";

// The store ports: hot store, reporting store and object storage.

/** A verdict as stored in the hot store, keyed by transaction id. */
export interface StoredVerdict {
  record: ScoredEvent;
  processed_at: string;
}

/** Hot store: verdict by transaction, alerts by card, per-card risk state (Cassandra / PGlite). */
export interface VerdictStore {
  /** Idempotent: writing the same transaction again leaves one row. */
  putVerdicts(records: ScoredEvent[]): Promise<void>;
  getVerdict(transactionId: string): Promise<StoredVerdict | undefined>;
  putAlerts(alerts: Alert[]): Promise<void>;
  /** Newest first. */
  alertsForCard(cardHash: string, options: { limit: number; sinceMs?: number }): Promise<Alert[]>;
  countAlertsForCard(cardHash: string, sinceMs: number): Promise<number>;
  upsertUserRisk(state: UserRiskState): Promise<void>;
  getUserRisk(cardHash: string): Promise<UserRiskState | undefined>;
}

/** The spec's user_risk_state row, keyed by card hash (the spec's user_id). */
export interface UserRiskState {
  user_id: string;
  risk_tier: "LOW" | "MEDIUM" | "HIGH";
  tx_count_24hr: number;
  spend_total_24hr: number;
  last_seen_country: string | null;
  last_device_id: string | null;
  last_updated: string;
}

/** The spec's daily_fraud_summary row. */
export interface DailySummaryRow {
  report_date: string;
  merchant_category: string;
  total_transactions: number;
  flagged_count: number;
  blocked_count: number;
  false_positive_rate: number;
  avg_fraud_score: number;
  total_fraud_amount: number;
}

/** Reporting store (PostgreSQL / PGlite). */
export interface SummaryStore {
  /** Counts each transaction exactly once, however often it is delivered. */
  applyVerdicts(records: ScoredEvent[]): Promise<void>;
  summaryForDate(date: string): Promise<DailySummaryRow[]>;
  close(): Promise<void>;
}

/** Object storage (S3 / a local folder in the same key layout). */
export interface Archive {
  /** Overwrites: re-delivery writes the same key again instead of a duplicate. */
  put(key: string, body: Uint8Array, contentType: string): Promise<void>;
  get(key: string): Promise<Uint8Array | undefined>;
  list(prefix: string): Promise<string[]>;
}
