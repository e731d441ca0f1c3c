import type { SqlQuery } from "../ports/index.js";

// The population's labelled fraud rate over a window of event time: the one query both priors
// (entity risk and the entity statistics the edge reads) start from.

export interface PopulationRate {
  /** Scored transactions in the window. */
  n: number;
  /** Of them, currently labelled fraud. */
  fraud: number;
}

export async function populationFraud(sql: SqlQuery, fromIso: string, toIso: string): Promise<PopulationRate> {
  const { rows } = await sql.query<{ n: number; f: number }>(
    `SELECT count(*)::int AS n, count(*) FILTER (WHERE l.is_fraud)::int AS f
       FROM fraud_ops.scored_transactions t LEFT JOIN fraud_ops.current_labels l USING (transaction_id)
      WHERE t.event_time >= $1 AND t.event_time < $2`,
    [fromIso, toIso],
  );
  return { n: rows[0]?.n ?? 0, fraud: rows[0]?.f ?? 0 };
}
