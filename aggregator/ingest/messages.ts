import { alertOf } from "../../core/contracts/alert.js";
import type { ScoredEvent } from "../../core/schemas.js";
import { envelope, verdictEnvelope, type FeatureRow, type ReviewItem } from "../bus/envelope.js";
import { TOPICS, type OutgoingMessage, type RawTransaction } from "../ports/index.js";

// Turns one accepted scored event into its bus messages, all keyed by the card hash so a card's
// raw event, verdict, alert and review item share one partition number on every topic.

/** The feature-store row of a v2 record; v1 records carry no model features and have none. */
export function toFeatureRow(record: ScoredEvent): FeatureRow | undefined {
  if (record.schema_version !== 2) return undefined;
  const { event: e, verdict: v } = record;
  return {
    transaction_id: e.transaction_id,
    card_number_hash: e.card_number_hash,
    merchant_id: e.merchant_id,
    ...(e.terminal_id !== undefined ? { terminal_id: e.terminal_id } : {}),
    channel: e.channel,
    amount_usd: e.amount_usd,
    timestamp_utc: e.timestamp_utc,
    model_features: record.model_features,
    fraud_score: v.fraud_score,
    verdict: v.verdict,
    model_version: v.model_version,
    rules_version: v.rules_version,
    ...(record.shadow ? { shadow: record.shadow } : {}),
    region: record.region,
    received_at: record.received_at,
  };
}

export function toMessages(records: ScoredEvent[], producedAt: string): OutgoingMessage[] {
  const out: OutgoingMessage[] = [];
  for (const record of records) {
    const key = record.event.card_number_hash;
    const raw: RawTransaction = { event: record.event, region: record.region, received_at: record.received_at };
    out.push({ topic: TOPICS.raw, key, value: envelope("vigil.raw-transaction", raw, producedAt) });
    // The one derivation of this event's alert row: the verdict message carries it to the sinks.
    const alert = alertOf(record);
    // The record itself, as IngestBatchSchema returned it (ScoredEventSchema, the verdict topic's schema).
    out.push({ topic: TOPICS.verdicts, key, value: verdictEnvelope(record, alert, producedAt), validated: true });
    const features = toFeatureRow(record);
    if (features) out.push({ topic: TOPICS.enriched, key, value: envelope("vigil.feature-row", features, producedAt) });
    if (alert !== undefined && alert.action_taken === "BLOCKED") {
      // fraud-alerts carries BLOCKED only; REVIEW goes to fraud-review (core/contracts/alert.ts)
      out.push({ topic: TOPICS.alerts, key, value: envelope("vigil.alert", alert, producedAt) });
    } else if (record.verdict.verdict === "REVIEW") {
      const item: ReviewItem = {
        transaction_id: record.event.transaction_id,
        card_number_hash: key,
        fraud_score: record.verdict.fraud_score,
        queued_at: producedAt,
        record,
      };
      out.push({ topic: TOPICS.review, key, value: envelope("vigil.review-item", item, producedAt) });
    }
  }
  return out;
}
