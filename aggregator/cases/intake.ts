import type { ScoredEvent } from "../../core/schemas.js";
import type { OpsSql, SqlQuery } from "../ports/index.js";

// Case intake: every REVIEW or BLOCKED verdict joins its card's undecided (OPEN or CLAIMED) case,
// or opens one. Idempotent per transaction id (a re-delivered verdict changes nothing). A card's
// intake is serialised by an advisory lock on the card; the case row is locked FOR UPDATE, so a
// decision committed meanwhile is seen (the row no longer matches) and the verdict opens a new
// case instead of joining a closed one. The partial unique index of migration 020 backs this up.

export const FLAGGED = new Set(["REVIEW", "BLOCKED"]);

export interface IntakeResult {
  opened: number;
  added: number;
  unchanged: number;
}

async function intakeOne(tx: SqlQuery, r: ScoredEvent, nowIso: string): Promise<keyof IntakeResult> {
  const e = r.event;
  const v = r.verdict;
  await tx.query("SELECT pg_advisory_xact_lock(hashtext('vigil.case:' || $1))", [e.card_number_hash]);
  const seen = await tx.query("SELECT 1 FROM fraud_ops.case_transactions WHERE transaction_id = $1", [e.transaction_id]);
  if (seen.rows.length > 0) return "unchanged";
  const open = await tx.query<{ case_id: number; status: string }>(
    `SELECT case_id::float8 AS case_id, status FROM fraud_ops.review_cases
      WHERE card_number_hash = $1 AND status IN ('OPEN', 'CLAIMED') FOR UPDATE`,
    [e.card_number_hash],
  );
  const blocked = v.verdict === "BLOCKED" ? 1 : 0;
  let caseId = open.rows[0]?.case_id;
  if (caseId === undefined) {
    const ins = await tx.query<{ case_id: number }>(
      `INSERT INTO fraud_ops.review_cases (transaction_id, card_number_hash, merchant_id, merchant_category_code, terminal_id, channel,
         region, amount_usd, fraud_score, ml_score, rule_triggers, reasons, event_time, created_at,
         transaction_count, blocked_count, max_fraud_score, total_amount_usd, last_event_time)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12::jsonb, $13, $14, 1, $15, $9, $8, $13)
       RETURNING case_id::float8 AS case_id`,
      [
        e.transaction_id, e.card_number_hash, e.merchant_id, e.merchant_category_code, e.terminal_id ?? null, e.channel, r.region,
        e.amount_usd, v.fraud_score, v.ml_score, JSON.stringify(v.rule_triggers), JSON.stringify(v.reasons), e.timestamp_utc, nowIso, blocked,
      ],
    );
    caseId = ins.rows[0]?.case_id;
    if (caseId === undefined) throw new Error(`case for ${e.transaction_id} not created`);
  } else {
    const status = open.rows[0]?.status;
    await tx.query(
      `UPDATE fraud_ops.review_cases
          SET transaction_count = transaction_count + 1, blocked_count = blocked_count + $2,
              max_fraud_score = greatest(max_fraud_score, $3), total_amount_usd = total_amount_usd + $4,
              last_event_time = greatest(last_event_time, $5::timestamptz)
        WHERE case_id = $1`,
      [caseId, blocked, v.fraud_score, e.amount_usd, e.timestamp_utc],
    );
    await tx.query(
      `INSERT INTO fraud_ops.case_events (case_id, at, actor, action, from_status, to_status, transaction_id)
       VALUES ($1, $2, 'system', 'ADD_TRANSACTION', $3, $3, $4)`,
      [caseId, nowIso, status, e.transaction_id],
    );
  }
  await tx.query(
    `INSERT INTO fraud_ops.case_transactions (transaction_id, case_id, card_number_hash, verdict, merchant_id, merchant_category_code,
       terminal_id, channel, region, amount_usd, fraud_score, ml_score, rule_triggers, reasons, event_time, added_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14::jsonb, $15, $16)`,
    [
      e.transaction_id, caseId, e.card_number_hash, v.verdict, e.merchant_id, e.merchant_category_code, e.terminal_id ?? null, e.channel,
      r.region, e.amount_usd, v.fraud_score, v.ml_score, JSON.stringify(v.rule_triggers), JSON.stringify(v.reasons), e.timestamp_utc, nowIso,
    ],
  );
  return open.rows.length > 0 ? "added" : "opened";
}

/**
 * One transaction per batch. Records are taken card by card in sorted order (event time within a
 * card), so two batches sharing cards lock them in the same order and cannot deadlock.
 */
export async function createReviewCases(sql: OpsSql, records: ScoredEvent[], nowIso: string): Promise<IntakeResult> {
  const flagged = records
    .filter((r) => FLAGGED.has(r.verdict.verdict))
    .sort((a, b) =>
      a.event.card_number_hash === b.event.card_number_hash
        ? Date.parse(a.event.timestamp_utc) - Date.parse(b.event.timestamp_utc)
        : a.event.card_number_hash < b.event.card_number_hash ? -1 : 1,
    );
  const out: IntakeResult = { opened: 0, added: 0, unchanged: 0 };
  if (flagged.length === 0) return out;
  await sql.transaction(async (tx) => {
    for (const r of flagged) out[await intakeOne(tx, r, nowIso)] += 1;
  });
  return out;
}
