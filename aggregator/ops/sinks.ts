import type { ScoredEvent } from "../../core/schemas.js";
import { validateEnvelope, type ReviewItem } from "../bus/envelope.js";
import type { IncomingMessage, MessageBatch } from "../ports.js";
import { createReviewCases } from "./review.js";
import type { SqlQuery } from "./sql.js";

// Sink handlers of the ops module, each run by a consumer group of its own:
//  - review cases   ← fraud-review   (vigil.review-item): one case per REVIEW verdict
//  - risk facts     ← fraud-verdicts (vigil.scored-event): one slim row per scored transaction,
//                     the denominators of merchant/terminal fraud rates and the flagged set.
// Both are idempotent per transaction id, so re-delivery after a crash writes nothing twice.
// A message that can never be written (bad envelope) goes to `deadLetter`; the batch goes on.

export interface OpsSinkDeps {
  sql: SqlQuery;
  now: () => number;
  /** Hands an unwritable message to the dead-letter topic with a reason; must resolve once it is durable. */
  deadLetter: (message: IncomingMessage, error: string) => Promise<void>;
}

export type BatchHandler = (batch: MessageBatch) => Promise<void>;

async function decode<T>(deps: OpsSinkDeps, batch: MessageBatch, schema: "vigil.review-item" | "vigil.scored-event"): Promise<T[]> {
  const out: T[] = [];
  for (const m of batch.messages) {
    const r = validateEnvelope(m.value, [schema]);
    if (r.ok) out.push(r.value.payload as T);
    else await deps.deadLetter(m, r.error);
  }
  return out;
}

export function createReviewCaseSink(deps: OpsSinkDeps): BatchHandler {
  return async (batch) => {
    const items = await decode<ReviewItem>(deps, batch, "vigil.review-item");
    if (items.length > 0) await createReviewCases(deps.sql, items.map((i) => i.record), new Date(deps.now()).toISOString());
  };
}

export function createRiskFactsSink(deps: OpsSinkDeps): BatchHandler {
  return async (batch) => {
    const records = await decode<ScoredEvent>(deps, batch, "vigil.scored-event");
    await insertScoredTransactions(deps.sql, records);
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
