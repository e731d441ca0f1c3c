import { z } from "zod";
import { recomputeEntityStats, StatsConfigSchema, type StatsResult } from "./entity-stats.js";
import type { OpsSql } from "../ports/index.js";
import { populationFraud } from "./fraud-rate.js";

// Labels fed back into risk. Merchant and terminal risk = fraud rate over a trailing window of
// *matured* transactions: those younger than the label delay are left out of numerator and
// denominator alike, because their chargebacks may not have arrived yet (an unlabelled young
// transaction is not yet evidence of "legit"). Small counts are smoothed towards the window's
// overall fraud rate: risk = (fraud + m·prior) / (n + m).

export const RiskConfigSchema = z.object({
  windowDays: z.number().int().min(1).max(365).default(30),
  /** Transactions younger than this are not yet counted (label maturity, e.g. chargeback lag). */
  labelDelayDays: z.number().min(0).max(180).default(0),
  /** Pseudo-count m of the smoothing: an entity needs ~m transactions before its own rate dominates. */
  smoothingWeight: z.number().min(0).max(100_000).default(20),
  /** Floor of the prior when the window holds no fraud at all. */
  minPrior: z.number().min(0).max(1).default(0.001),
  /** Card tiers: look-back of fraud labels and open flags. */
  cardLookbackDays: z.number().int().min(1).max(365).default(90),
  /** Flagged (REVIEW/BLOCKED) transactions not cleared as LEGIT that make a card MEDIUM. */
  cardMediumFlags: z.number().int().min(1).default(2),
  /** Rows of scored_transactions older than this are pruned (must cover every window above). */
  retentionDays: z.number().int().min(1).max(3650).default(400),
  /** Terminal/merchant statistics for learned models (own label delay: default 7 days, as the eval's). */
  stats: StatsConfigSchema.prefault({}),
});
export type RiskConfig = z.infer<typeof RiskConfigSchema>;
export const DEFAULT_RISK_CONFIG: RiskConfig = RiskConfigSchema.parse({});

export interface RecomputeResult {
  window_start: string;
  window_end: string;
  prior: number;
  merchants: number;
  terminals: number;
  cards: number;
  summary_days: number;
  pruned: number;
  stats: StatsResult;
}

const DAY_MS = 86_400_000;

/**
 * Rebuilds entity_risk, card_risk and daily_label_stats from scored_transactions and labels, in
 * one transaction so readers (the snapshot, the publisher) never see half a recompute.
 */
export async function recomputeRisk(sql: OpsSql, nowMs: number, cfg: RiskConfig = DEFAULT_RISK_CONFIG): Promise<RecomputeResult> {
  const end = new Date(nowMs - cfg.labelDelayDays * DAY_MS).toISOString();
  const start = new Date(nowMs - (cfg.labelDelayDays + cfg.windowDays) * DAY_MS).toISOString();
  const now = new Date(nowMs).toISOString();
  const cardSince = new Date(nowMs - cfg.cardLookbackDays * DAY_MS).toISOString();
  const pruneBefore = new Date(nowMs - cfg.retentionDays * DAY_MS).toISOString();

  return sql.transaction(async (tx) => {
    // Serialise recomputes (timer and post-feedback runs may overlap).
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('vigil.recompute-risk'))");
    const pruned = await tx.query<{ n: number }>(
      `WITH d AS (DELETE FROM fraud_ops.scored_transactions WHERE event_time < $1 RETURNING 1) SELECT count(*)::int AS n FROM d`,
      [pruneBefore],
    );
    const { n, fraud } = await populationFraud(tx, start, end);
    const prior = Math.max(cfg.minPrior, n > 0 ? fraud / n : 0);

    const entities = async (kind: "merchant" | "terminal", column: "merchant_id" | "terminal_id") => {
      await tx.query("DELETE FROM fraud_ops.entity_risk WHERE kind = $1", [kind]);
      const r = await tx.query<{ n: number }>(
        `WITH ins AS (
           INSERT INTO fraud_ops.entity_risk (kind, entity_id, tx_count, fraud_count, risk, window_start, window_end, computed_at)
           SELECT $1, t.${column}, count(*)::int, count(*) FILTER (WHERE l.is_fraud)::int,
                  LEAST(1, GREATEST(0, (count(*) FILTER (WHERE l.is_fraud) + $4::float8 * $5::float8) / (count(*) + $4::float8))),
                  $2, $3, $6
             FROM fraud_ops.scored_transactions t LEFT JOIN fraud_ops.current_labels l USING (transaction_id)
            WHERE t.event_time >= $2 AND t.event_time < $3 AND t.${column} IS NOT NULL
            GROUP BY t.${column}
           RETURNING 1)
         SELECT count(*)::int AS n FROM ins`,
        [kind, start, end, cfg.smoothingWeight, prior, now],
      );
      return r.rows[0]?.n ?? 0;
    };
    const merchants = await entities("merchant", "merchant_id");
    const terminals = await entities("terminal", "terminal_id");
    const stats = await recomputeEntityStats(tx, nowMs, cfg.stats);

    // A confirmed fraud on the card is evidence at once (no maturity wait): HIGH. Repeated flags the
    // analysts have not cleared as LEGIT: MEDIUM. Cards not listed are LOW.
    await tx.query("DELETE FROM fraud_ops.card_risk");
    const cards = await tx.query<{ n: number }>(
      `WITH per_card AS (
         SELECT t.card_number_hash,
                count(*) FILTER (WHERE l.is_fraud)::int AS fraud_labels,
                count(*) FILTER (WHERE t.verdict <> 'APPROVED' AND l.is_fraud IS DISTINCT FROM false)::int AS open_flags
           FROM fraud_ops.scored_transactions t LEFT JOIN fraud_ops.current_labels l USING (transaction_id)
          WHERE t.event_time >= $1
          GROUP BY t.card_number_hash),
       ins AS (
         INSERT INTO fraud_ops.card_risk (card_number_hash, tier, fraud_labels, open_flags, computed_at)
         SELECT card_number_hash, CASE WHEN fraud_labels > 0 THEN 'HIGH' ELSE 'MEDIUM' END, fraud_labels, open_flags, $3
           FROM per_card WHERE fraud_labels > 0 OR open_flags >= $2
         RETURNING 1)
       SELECT count(*)::int AS n FROM ins`,
      [cardSince, cfg.cardMediumFlags, now],
    );

    // false_positive_rate inputs per event date and category, over every date still held.
    await tx.query("DELETE FROM fraud_ops.daily_label_stats");
    const days = await tx.query<{ n: number }>(
      `WITH ins AS (
         INSERT INTO fraud_ops.daily_label_stats (report_date, merchant_category, flagged_labelled, flagged_legit, computed_at)
         SELECT (t.event_time AT TIME ZONE 'UTC')::date, t.merchant_category_code,
                count(*)::int, count(*) FILTER (WHERE NOT l.is_fraud)::int, $1
           FROM fraud_ops.scored_transactions t JOIN fraud_ops.current_labels l USING (transaction_id)
          WHERE t.verdict <> 'APPROVED'
          GROUP BY 1, 2
         RETURNING 1)
       SELECT count(*)::int AS n FROM ins`,
      [now],
    );

    // The reporting table's false_positive_rate (its writer leaves it at 0 for the label job).
    const reporting = await tx.query<{ t: string | null }>("SELECT to_regclass('fraud_reporting.daily_fraud_summary')::text AS t");
    if (reporting.rows[0]?.t) {
      await tx.query(
        `UPDATE fraud_reporting.daily_fraud_summary d
            SET false_positive_rate = round(s.flagged_legit::numeric / s.flagged_labelled, 4)
           FROM fraud_ops.daily_label_stats s
          WHERE s.report_date = d.report_date AND s.merchant_category = d.merchant_category AND s.flagged_labelled > 0
            AND d.false_positive_rate IS DISTINCT FROM round(s.flagged_legit::numeric / s.flagged_labelled, 4)`,
      );
    }

    return {
      window_start: start,
      window_end: end,
      prior,
      merchants,
      terminals,
      cards: cards.rows[0]?.n ?? 0,
      summary_days: days.rows[0]?.n ?? 0,
      pruned: pruned.rows[0]?.n ?? 0,
      stats,
    };
  });
}

export interface FalsePositiveStats {
  flagged_labelled: number;
  flagged_legit: number;
  false_positive_rate: number;
}

export async function falsePositiveStats(sql: Pick<OpsSql, "query">, date: string): Promise<Map<string, FalsePositiveStats>> {
  const { rows } = await sql.query<{ merchant_category: string; flagged_labelled: number; flagged_legit: number }>(
    `SELECT merchant_category, flagged_labelled, flagged_legit FROM fraud_ops.daily_label_stats WHERE report_date = $1::date`,
    [date],
  );
  return new Map(
    rows.map((r) => [
      r.merchant_category,
      { ...r, false_positive_rate: r.flagged_labelled > 0 ? r.flagged_legit / r.flagged_labelled : 0 },
    ]),
  );
}
