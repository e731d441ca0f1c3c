import type { Alert, ScoredEvent, TransactionEvent, Verdict } from "../core/schemas.js";

// The ports the aggregator owns. Production adapters (Kafka, Cassandra, PostgreSQL, S3) and the
// embedded ones (in-process bus, PGlite, local folder) implement exactly these shapes, and one
// contract suite per port runs against every adapter on real instances.

/** Errors say whether trying again can help, so a consumer can choose retry or dead-letter. */
export class PortError extends Error {
  constructor(
    message: string,
    readonly retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = retriable ? "RetriableError" : "FatalError";
  }
}
export const isRetriable = (e: unknown): boolean => e instanceof PortError && e.retriable;

/**
 * The one kind of failure that is the MESSAGE's fault: its schema, or a constraint on its data.
 * Only this dead-letters (the sink consumer writes the others of the batch and moves on); every
 * other failure — access denied, missing bucket, read-only database, unauthorized, timeouts,
 * refused connections — is the infrastructure's, and stalls the consumer until it is fixed.
 * `index` names the message within the batch when the sink knows it.
 */
export class MessageFaultError extends PortError {
  constructor(
    message: string,
    readonly index?: number,
    options?: { cause?: unknown },
  ) {
    super(message, false, options);
    this.name = "MessageFaultError";
  }
}
export const isMessageFault = (e: unknown): e is MessageFaultError => e instanceof MessageFaultError;

export const TOPICS = {
  raw: "fraud-raw-transactions",
  verdicts: "fraud-verdicts",
  alerts: "fraud-alerts",
  review: "fraud-review",
  /** The feature store's stream: every scored event that carries model features (envelope v2). */
  enriched: "fraud-enriched-events",
  deadLetter: "fraud-dead-letter",
} as const;
export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];

/**
 * Every message is a versioned JSON envelope (schema: infra/schemas/envelope.schema.json); a
 * consumer refuses a `schema`/`schema_version` it does not know (dead-letter, not a crash).
 */
export interface Envelope<T = unknown> {
  schema: "vigil.raw-transaction" | "vigil.scored-event" | "vigil.alert" | "vigil.review-item" | "vigil.feature-row" | "vigil.dead-letter";
  schema_version: 1;
  produced_at: string;
  payload: T;
}

export interface RawTransaction {
  event: TransactionEvent;
  region: string;
  received_at: string;
}

export interface OutgoingMessage {
  topic: TopicName;
  /** Kafka key: the card hash, so one card's events stay in order on one partition. */
  key: string;
  value: Envelope;
  /**
   * The payload is exactly what this process's boundary validation returned under the envelope's
   * own schema: the bus may remember the serialised text so its consumers need not parse it again
   * (aggregator/bus/envelope.ts rememberValidatedText). Never set for derived or foreign payloads.
   */
  validated?: true;
}

/** Where a message sits in the log; sinks derive idempotency keys (and S3 object keys) from it. */
export interface LogPosition {
  topic: string;
  partition: number;
  offset: string;
}

export interface IncomingMessage {
  key: string;
  value: Envelope;
  position: LogPosition;
}

/** One partition's slice of messages, in offset order. */
export interface MessageBatch {
  topic: string;
  partition: number;
  messages: IncomingMessage[];
}

export interface SubscribeOptions {
  groupId: string;
  topics: TopicName[];
  /**
   * Resolves once the batch is durably written; only then are its offsets committed. A rejection
   * with a retriable error re-delivers the batch; the handler dead-letters what can never be written.
   */
  handleBatch: (batch: MessageBatch) => Promise<void>;
  /**
   * A group without committed offsets starts at the log end instead of the oldest message: for
   * ephemeral live readers (the alert stream), whose group is used once and forgotten.
   */
  fromEnd?: boolean;
}

export interface Subscription {
  stop(): Promise<void>;
  /** Messages behind the log end, per topic and partition, for /health and /metrics. */
  lag(): Promise<Array<{ topic: string; partition: number; lag: number }>>;
}

export interface EventBus {
  /** Resolves only when the broker acknowledged every message (acks=all, idempotent producer). */
  publish(messages: OutgoingMessage[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  close(): Promise<void>;
}

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

export type { Verdict };
