import type { Alert, ScoredEvent } from "../../core/schemas.js";

/**
 * The fraud_alerts row of a REVIEW or BLOCKED verdict (undefined for APPROVED). Ingest (for the
 * fraud-alerts topic) and the hot-store sink both build alerts here, so a transaction's alert is
 * the same row whichever path writes it. fraud_reason: the three reasons that added the most
 * points, strongest first.
 */
export function alertFromScoredEvent(r: ScoredEvent): Alert | undefined {
  const v = r.verdict;
  if (v.verdict === "APPROVED") return undefined;
  const top = [...v.reasons]
    .filter((x) => x.contribution > 0)
    .sort((a, b) => b.contribution - a.contribution || a.code.localeCompare(b.code))
    .slice(0, 3)
    .map((x) => `${x.code}: ${x.detail}`);
  return {
    card_number_hash: r.event.card_number_hash,
    transaction_id: r.event.transaction_id,
    alert_timestamp: new Date(Date.parse(r.event.timestamp_utc)).toISOString(),
    fraud_score: v.fraud_score,
    fraud_reason: top.length > 0 ? top.join("; ") : `${v.verdict} at score ${v.fraud_score}`,
    action_taken: v.verdict,
    rule_triggers: v.rule_triggers,
    ml_score: v.ml_score,
  };
}
