import type { Alert, ScoredEvent } from "../schemas.js";

// The fraud_alerts row of a scored event: the one builder behind the fraud-alerts topic, the
// Cassandra (or embedded SQL) fraud_alerts table and the Parquet fraud_alerts/ archive, so a
// transaction's alert is the same row wherever it is read.
//
// Which verdicts are alerts: REVIEW and BLOCKED are both rows of the fraud_alerts table and of the
// fraud_alerts/ archive (the spec's action_taken holds REVIEW and BLOCKED, and a card's fraud
// history counts both), while the fraud-alerts TOPIC carries BLOCKED only (the spec's alert
// routing: score >= 80 goes to fraud-alerts, 50-79 to fraud-review).

/** How many reasons fraud_reason names, strongest first. */
const REASONS_IN_TEXT = 3;

/**
 * fraud_reason: the reasons that added the most points, strongest first (ties by code), each as
 * "CODE: detail"; without such reasons the rule triggers, else the verdict and its score.
 */
export function fraudReason(r: ScoredEvent): string {
  const v = r.verdict;
  const top = [...v.reasons]
    .filter((x) => x.contribution > 0)
    .sort((a, b) => b.contribution - a.contribution || a.code.localeCompare(b.code))
    .slice(0, REASONS_IN_TEXT)
    .map((x) => `${x.code}: ${x.detail}`);
  if (top.length > 0) return top.join("; ");
  if (v.rule_triggers.length > 0) return v.rule_triggers.join("; ");
  return `${v.verdict} at score ${v.fraud_score}`;
}

/** The alert row of a REVIEW or BLOCKED verdict; undefined for APPROVED. */
export function alertOf(r: ScoredEvent): Alert | undefined {
  const v = r.verdict;
  if (v.verdict === "APPROVED") return undefined;
  return {
    card_number_hash: r.event.card_number_hash,
    transaction_id: r.event.transaction_id,
    // Event time, not arrival, in UTC: a replayed history produces the same rows.
    alert_timestamp: new Date(Date.parse(r.event.timestamp_utc)).toISOString(),
    fraud_score: v.fraud_score,
    fraud_reason: fraudReason(r),
    action_taken: v.verdict,
    rule_triggers: v.rule_triggers,
    ml_score: v.ml_score,
  };
}
