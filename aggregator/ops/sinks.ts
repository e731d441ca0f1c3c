import type { ScoredEvent } from "../../core/schemas.js";
import { positionText, validateEnvelope } from "../bus/envelope.js";
import type { MessageBatch, OpsSql, SqlQuery } from "../ports/index.js";
import { PoisonMessageError, type BatchHandler } from "../sinks/index.js";
import { insertRuleHits } from "../rules/live.js";
import { createReviewCases, FLAGGED } from "../cases/intake.js";

// Sink handlers of the ops module for the consumer runner, each in a consumer group of its own:
//  - review cases ← fraud-verdicts (vigil.scored-event): REVIEW and BLOCKED verdicts join their
//                   card's open case or open one (case-intake.ts); APPROVED ones are skipped
//                   before validation (fraud-review carries REVIEW only, as the spec routes it).
//  - risk facts   ← fraud-verdicts (vigil.scored-event): one slim row per scored transaction,
//                   the denominators of merchant/terminal fraud rates and the flagged set.
// Both are idempotent per transaction id, so a re-delivered batch writes nothing twice. As in
// aggregator/sinks, the whole batch is validated first; a message that can never be written stops
// it with PoisonMessageError (non-retriable, naming the message) for the runner to dead-letter.

/** Validated payloads of the batch's messages that `keep` accepts; a poison message is named by its index in the whole batch. */
function payloads<T>(sink: string, batch: MessageBatch, schema: "vigil.scored-event", keep: (value: unknown) => boolean = () => true): T[] {
  const out: T[] = [];
  batch.messages.forEach((m, index) => {
    if (!keep(m.value)) return;
    const r = validateEnvelope(m.value, [schema]);
    if (!r.ok) throw new PoisonMessageError(`${sink}: message ${index} at ${positionText(m.position)} refused: ${r.error}`, m.position, index);
    out.push(r.value.payload as T);
  });
  return out;
}

/** The verdict of a message as sent, read without validating it (most verdicts are APPROVED). */
function sentVerdict(value: unknown): unknown {
  const p = (value as { payload?: { verdict?: { verdict?: unknown } } } | null)?.payload;
  return p?.verdict?.verdict;
}

export function createReviewCaseSink(sql: OpsSql, now: () => number = Date.now): BatchHandler {
  return async (batch) => {
    // Only flagged messages are validated (a malformed one still stops the batch as poison); the
    // risk-facts sink validates and dead-letters every message of this topic in its own group.
    const records = payloads<ScoredEvent>("review-case sink", batch, "vigil.scored-event", (value) => {
      const v = sentVerdict(value);
      return typeof v !== "string" || FLAGGED.has(v);
    });
    if (records.length > 0) await createReviewCases(sql, records, new Date(now()).toISOString());
  };
}

export function createRiskFactsSink(sql: SqlQuery, onStored?: (latestEventMs: number) => void): BatchHandler {
  return async (batch) => {
    const records = payloads<ScoredEvent>("risk-facts sink", batch, "vigil.scored-event");
    await insertScoredTransactions(sql, records);
    if (onStored && records.length > 0) {
      let latest = Number.NEGATIVE_INFINITY;
      for (const r of records) {
        const t = Date.parse(r.event.timestamp_utc);
        if (t > latest) latest = t;
      }
      if (Number.isFinite(latest)) onStored(latest);
    }
  };
}

/** Rule hits ← fraud-verdicts: per-rule live statistics of the active and the shadow set (aggregator/rules/live.ts). */
export function createRuleHitsSink(sql: SqlQuery): BatchHandler {
  return async (batch) => {
    await insertRuleHits(sql, payloads<ScoredEvent>("rule-hits sink", batch, "vigil.scored-event"));
  };
}

/** One multi-row statement per batch; ON CONFLICT keeps the first delivery. */
export async function insertScoredTransactions(sql: SqlQuery, records: ScoredEvent[]): Promise<void> {
  if (records.length === 0) return;
  const rows = records.map((r) => ({
    transaction_id: r.event.transaction_id,
    card_number_hash: r.event.card_number_hash,
    merchant_id: r.event.merchant_id,
    merchant_category_code: r.event.merchant_category_code,
    terminal_id: r.event.terminal_id ?? null,
    channel: r.event.channel,
    region: r.region,
    verdict: r.verdict.verdict,
    fraud_score: r.verdict.fraud_score,
    amount_usd: r.event.amount_usd,
    event_time: r.event.timestamp_utc,
  }));
  await sql.query(
    `INSERT INTO fraud_ops.scored_transactions (transaction_id, card_number_hash, merchant_id, merchant_category_code,
       terminal_id, channel, region, verdict, fraud_score, amount_usd, event_time)
     SELECT transaction_id, card_number_hash, merchant_id, merchant_category_code, terminal_id, channel, region,
            verdict, fraud_score, amount_usd, event_time
       FROM jsonb_to_recordset($1::jsonb) AS x(transaction_id text, card_number_hash text, merchant_id text,
            merchant_category_code text, terminal_id text, channel text, region text, verdict text,
            fraud_score float8, amount_usd float8, event_time timestamptz)
     ON CONFLICT (transaction_id) DO NOTHING`,
    [JSON.stringify(rows)],
  );
}
