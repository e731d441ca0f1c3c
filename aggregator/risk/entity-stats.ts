import { z } from "zod";
import { encodeEntityStats } from "../../core/contracts/entity-stats.js";
import { DEFAULT_LABEL_DELAY_MS, ENTITY_WINDOW_MS, smoothedRate } from "../../core/features/entity-risk.js";
import type { EntityRiskStats } from "../../core/schemas.js";
import type { SqlQuery } from "../ports/index.js";
import { populationFraud } from "./fraud-rate.js";

// Terminal and merchant statistics for learned models: per entity, transactions, frauds and the
// smoothed fraud rate over 1, 7 and 30 days of event time ending at now − D (D = label delay), the
// same windows and smoothing as core's EntityRiskAccumulator, so what the edge reads is what the
// eval and the trainer simulated. A transaction younger than D is not counted, even when its label
// is in (fraud labels arrive before anyone confirms the legitimate ones). Matured and unlabelled
// counts as legitimate, as in recomputeRisk.

const DAY_MS = 86_400_000;

export const StatsConfigSchema = z.object({
  labelDelayDays: z.number().min(0).max(180).default(DEFAULT_LABEL_DELAY_MS / DAY_MS),
  /** k of (frauds + k·prior) / (tx + k); the prior is the population's matured 30-day fraud rate. */
  priorStrength: z.number().min(0).max(100_000).default(10),
});
export type StatsConfig = z.infer<typeof StatsConfigSchema>;

export type StatsKind = "terminal_stats" | "merchant_stats";
const COLUMN: Record<StatsKind, "terminal_id" | "merchant_id"> = { terminal_stats: "terminal_id", merchant_stats: "merchant_id" };

interface CountRow {
  entity_id: string;
  tx_1d: number; fraud_1d: number;
  tx_7d: number; fraud_7d: number;
  tx_30d: number; fraud_30d: number;
}

export interface StatsResult {
  window_end: string;
  prior: number;
  terminals: number;
  merchants: number;
}

/**
 * Rebuilds fraud_ops.entity_stats inside the caller's transaction. Every entity with a transaction
 * since the start of the 30-day window is listed, even with zero matured counts: the job knows it
 * (the eval's accumulator answers zeros and the prior for it too), whereas an absent entity is unknown.
 */
export async function recomputeEntityStats(tx: SqlQuery, nowMs: number, cfg: StatsConfig): Promise<StatsResult> {
  const endMs = nowMs - cfg.labelDelayDays * DAY_MS;
  const iso = (ms: number) => new Date(ms).toISOString();
  const [w1, w7, w30] = ENTITY_WINDOW_MS.map((w) => iso(endMs - w)) as [string, string, string];
  const end = iso(endMs);
  const now = iso(nowMs);

  const { n, fraud } = await populationFraud(tx, w30, end);
  const prior = n > 0 ? fraud / n : 0;
  const rate = (f: number, t: number) => smoothedRate(f, t, prior, cfg.priorStrength);

  const count = { terminal_stats: 0, merchant_stats: 0 };
  for (const kind of ["terminal_stats", "merchant_stats"] as const) {
    const col = COLUMN[kind];
    const { rows } = await tx.query<CountRow>(
      `SELECT t.${col} AS entity_id,
              count(*) FILTER (WHERE t.event_time >= $1 AND t.event_time < $4)::int AS tx_1d,
              count(*) FILTER (WHERE t.event_time >= $1 AND t.event_time < $4 AND l.is_fraud)::int AS fraud_1d,
              count(*) FILTER (WHERE t.event_time >= $2 AND t.event_time < $4)::int AS tx_7d,
              count(*) FILTER (WHERE t.event_time >= $2 AND t.event_time < $4 AND l.is_fraud)::int AS fraud_7d,
              count(*) FILTER (WHERE t.event_time < $4)::int AS tx_30d,
              count(*) FILTER (WHERE t.event_time < $4 AND l.is_fraud)::int AS fraud_30d
         FROM fraud_ops.scored_transactions t LEFT JOIN fraud_ops.current_labels l USING (transaction_id)
        WHERE t.event_time >= $3 AND t.${col} IS NOT NULL
        GROUP BY t.${col}`,
      [w1, w7, w30, end],
    );
    const values = rows.map((r) => {
      const s: EntityRiskStats = {
        tx_1d: r.tx_1d, fraud_1d: r.fraud_1d, rate_1d: rate(r.fraud_1d, r.tx_1d),
        tx_7d: r.tx_7d, fraud_7d: r.fraud_7d, rate_7d: rate(r.fraud_7d, r.tx_7d),
        tx_30d: r.tx_30d, fraud_30d: r.fraud_30d, rate_30d: rate(r.fraud_30d, r.tx_30d),
      };
      return { entity_id: r.entity_id, value: encodeEntityStats(s) };
    });
    await tx.query("DELETE FROM fraud_ops.entity_stats WHERE kind = $1", [kind]);
    if (values.length > 0) {
      await tx.query(
        `INSERT INTO fraud_ops.entity_stats (kind, entity_id, value, window_end, computed_at)
         SELECT $1, entity_id, value, $3, $4 FROM jsonb_to_recordset($2::jsonb) AS x(entity_id text, value text)`,
        [kind, JSON.stringify(values), end, now],
      );
    }
    count[kind] = values.length;
  }
  return { window_end: end, prior, terminals: count.terminal_stats, merchants: count.merchant_stats };
}
