import type { ScoredEvent } from "../../core/schemas.js";
import { PortError, type DailySummaryRow, type SummaryStore, type SqlClient } from "../ports/index.js";

// SummaryStore on SQL (PostgreSQL in the stack profile, PGlite embedded), one code path.
//
// Exactly-once counting: in ONE transaction, the batch's transaction ids go into
// fraud_reporting.summary_applied with ON CONFLICT DO NOTHING RETURNING, and only the rows that
// came back (first sightings) are added to daily_fraud_summary. A re-delivered or replayed
// transaction finds its id already there and adds nothing; a concurrent writer of the same id
// waits on the primary key, then sees it as a conflict. If the transaction fails, neither the ids
// nor the sums are kept, so the retry counts them.
//
// Columns: report_date = the event's timestamp_utc date in UTC; merchant_category = the MCC;
// flagged_count = REVIEW + BLOCKED; avg_fraud_score = running mean kept exact as
// fraud_score_sum / total_transactions; total_fraud_amount = sum of BLOCKED amounts (until labels
// exist: the label feedback (aggregator/ops/labels.ts) refines it and false_positive_rate, which
// starts at 0).
// Money and sums are NUMERIC; JS numbers are sent as fixed-point text, never as floats.

export function reportDateOf(timestampUtc: string): string {
  return new Date(Date.parse(timestampUtc)).toISOString().slice(0, 10);
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

export interface SqlSummaryStoreOptions {
  /** close() also closes the SqlClient (default true); false when the client is shared. */
  closeClient?: boolean;
}

export function createSqlSummaryStore(db: SqlClient, options: SqlSummaryStoreOptions = {}): SummaryStore {
  const closeClient = options.closeClient ?? true;
  return {
    async applyVerdicts(records: ScoredEvent[]): Promise<void> {
      if (records.length === 0) return;
      const firstById = new Map<string, ScoredEvent>();
      for (const r of records) if (!firstById.has(r.event.transaction_id)) firstById.set(r.event.transaction_id, r);
      // Sorted by id so concurrent writers take the ledger's row locks in one order (no deadlock).
      const rows = [...firstById.values()].sort((x, y) => (x.event.transaction_id < y.event.transaction_id ? -1 : 1)).map((r) => ({
        transaction_id: r.event.transaction_id,
        report_date: reportDateOf(r.event.timestamp_utc),
        merchant_category: r.event.merchant_category_code,
        verdict: r.verdict.verdict,
        fraud_score: r.verdict.fraud_score.toFixed(4),
        amount: r.event.amount_usd.toFixed(2),
      }));
      await db.transaction(async (tx) => {
        await tx.query(
          `WITH input AS (
             SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(transaction_id text, report_date date, merchant_category text,
                    verdict text, fraud_score numeric, amount numeric)
           ), fresh AS (
             INSERT INTO fraud_reporting.summary_applied (transaction_id, report_date, merchant_category, verdict, fraud_score, amount)
             SELECT transaction_id, report_date, merchant_category, verdict, fraud_score, amount FROM input
             ON CONFLICT (transaction_id) DO NOTHING
             RETURNING report_date, merchant_category, verdict, fraud_score, amount
           ), agg AS (
             SELECT report_date, merchant_category, count(*) AS n,
                    count(*) FILTER (WHERE verdict IN ('REVIEW', 'BLOCKED')) AS flagged,
                    count(*) FILTER (WHERE verdict = 'BLOCKED') AS blocked,
                    sum(fraud_score) AS score_sum,
                    coalesce(sum(amount) FILTER (WHERE verdict = 'BLOCKED'), 0) AS blocked_amount
               FROM fresh GROUP BY report_date, merchant_category
           )
           INSERT INTO fraud_reporting.daily_fraud_summary AS d
             (report_date, merchant_category, total_transactions, flagged_count, blocked_count, false_positive_rate,
              avg_fraud_score, total_fraud_amount, fraud_score_sum)
           SELECT report_date, merchant_category, n, flagged, blocked, 0, round(score_sum / n, 4), blocked_amount, score_sum
             FROM agg ORDER BY report_date, merchant_category
           ON CONFLICT (report_date, merchant_category) DO UPDATE SET
             total_transactions = d.total_transactions + excluded.total_transactions,
             flagged_count = d.flagged_count + excluded.flagged_count,
             blocked_count = d.blocked_count + excluded.blocked_count,
             total_fraud_amount = d.total_fraud_amount + excluded.total_fraud_amount,
             fraud_score_sum = d.fraud_score_sum + excluded.fraud_score_sum,
             avg_fraud_score = round((d.fraud_score_sum + excluded.fraud_score_sum)
                                     / (d.total_transactions + excluded.total_transactions), 4)`,
          [JSON.stringify(rows)],
        );
      });
    },

    async summaryForDate(date: string): Promise<DailySummaryRow[]> {
      if (!DATE_RE.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) {
        throw new PortError(`summaryForDate: date must be YYYY-MM-DD, got ${JSON.stringify(date)}`, false);
      }
      const { rows } = await db.query<Record<keyof DailySummaryRow, string | number>>(
        `SELECT to_char(report_date, 'YYYY-MM-DD') AS report_date, merchant_category,
                total_transactions::text AS total_transactions, flagged_count, blocked_count,
                false_positive_rate::text AS false_positive_rate, avg_fraud_score::text AS avg_fraud_score,
                total_fraud_amount::text AS total_fraud_amount
           FROM fraud_reporting.daily_fraud_summary WHERE report_date = $1::date
          ORDER BY merchant_category`,
        [date],
      );
      return rows.map((r) => ({
        report_date: String(r.report_date),
        merchant_category: String(r.merchant_category),
        total_transactions: Number(r.total_transactions),
        flagged_count: Number(r.flagged_count),
        blocked_count: Number(r.blocked_count),
        false_positive_rate: Number(r.false_positive_rate),
        avg_fraud_score: Number(r.avg_fraud_score),
        total_fraud_amount: Number(r.total_fraud_amount),
      }));
    },

    close: async () => {
      if (closeClient) await db.close();
    },
  };
}
