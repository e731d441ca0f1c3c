import type { Alert, ScoredEvent } from "../../core/schemas.js";
import type { MessageBatch, SummaryStore, VerdictStore } from "../ports/index.js";
import { parseBatch } from "./parse.js";

// Sink handlers for the consumer runner: one call per partition batch; the runner commits the
// batch's offsets only after the returned promise resolves. Each write below is idempotent, so a
// re-delivered batch (after a crash or a retriable error) leaves the stores as one delivery would.

export type BatchHandler = (batch: MessageBatch) => Promise<void>;

/**
 * Hot store (subscribe to fraud-verdicts; fraud-alerts is accepted too). Order matters: alerts
 * first (the rows REVIEW/BLOCKED verdict messages carry, plus any vigil.alert messages), then verdicts, whose
 * write refreshes each card's user_risk_state (SQL stores; Cassandra derives it when read) and
 * so already sees this batch's alerts in its tier.
 */
export function createHotStoreSink(store: VerdictStore): BatchHandler {
  return async (batch) => {
    const parsed = parseBatch("hot-store sink", batch, ["vigil.scored-event", "vigil.alert"]);
    const verdicts: ScoredEvent[] = [];
    const alerts: Alert[] = [];
    for (const m of parsed) {
      if (m.schema === "vigil.scored-event") {
        verdicts.push(m.payload);
        if (m.alert) alerts.push(m.alert);
      } else if (m.schema === "vigil.alert") {
        alerts.push(m.payload);
      }
    }
    if (alerts.length > 0) await store.putAlerts(alerts);
    if (verdicts.length > 0) await store.putVerdicts(verdicts);
  };
}

/** Reporting store (subscribe to fraud-verdicts): exactly-once daily summary per MCC. */
export function createSummarySink(store: SummaryStore): BatchHandler {
  return async (batch) => {
    const parsed = parseBatch("summary sink", batch, ["vigil.scored-event"]);
    const records = parsed.flatMap((m) => (m.schema === "vigil.scored-event" ? [m.payload] : []));
    if (records.length > 0) await store.applyVerdicts(records);
  };
}
