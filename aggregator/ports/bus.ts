import type { Alert, TransactionEvent } from "../../core/schemas.js";

// The bus port: topics, the versioned envelope and what publishing and subscribing promise.

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
  /**
   * vigil.scored-event only: the record's fraud_alerts row as ingest derived it, null for an
   * APPROVED verdict (no row). Absent in messages published before ingest carried it.
   */
  alert?: Alert | null;
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
   * (aggregator/bus/envelope.ts rememberValidatedText). Never set for derived or foreign payloads
   * (a verdict's carried alert counts as part of its record: alertOf of the validated record).
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
