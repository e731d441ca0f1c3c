import type { Alert, ScoredEvent } from "../../core/schemas.js";
import { envelope, type ReviewItem } from "../bus/envelope.js";
import { TOPICS, type OutgoingMessage, type RawTransaction } from "../ports.js";

// Turns one accepted scored event into its bus messages, all keyed by the card hash so a card's
// raw event, verdict, alert and review item share one partition number on every topic.

/** The alert's reason text: the reasons that added points, largest first; codes only. */
export function fraudReason(record: ScoredEvent): string {
  const codes = [...record.verdict.reasons]
    .filter((r) => r.contribution > 0)
    .sort((a, b) => b.contribution - a.contribution)
    .map((r) => r.code);
  const unique = [...new Set(codes.length > 0 ? codes : record.verdict.rule_triggers)];
  return unique.length > 0 ? unique.join(",") : "SCORE_THRESHOLD";
}

export function toAlert(record: ScoredEvent): Alert {
  return {
    card_number_hash: record.event.card_number_hash,
    transaction_id: record.event.transaction_id,
    // Event time, not arrival: a replayed history produces the same alert rows.
    alert_timestamp: record.event.timestamp_utc,
    fraud_score: record.verdict.fraud_score,
    fraud_reason: fraudReason(record),
    action_taken: record.verdict.verdict,
    rule_triggers: record.verdict.rule_triggers,
    ml_score: record.verdict.ml_score,
  };
}

export function toMessages(records: ScoredEvent[], producedAt: string): OutgoingMessage[] {
  const out: OutgoingMessage[] = [];
  for (const record of records) {
    const key = record.event.card_number_hash;
    const raw: RawTransaction = { event: record.event, region: record.region, received_at: record.received_at };
    out.push({ topic: TOPICS.raw, key, value: envelope("vigil.raw-transaction", raw, producedAt) });
    out.push({ topic: TOPICS.verdicts, key, value: envelope("vigil.scored-event", record, producedAt) });
    if (record.verdict.verdict === "BLOCKED") {
      out.push({ topic: TOPICS.alerts, key, value: envelope("vigil.alert", toAlert(record), producedAt) });
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
