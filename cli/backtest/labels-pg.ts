import pg from "pg";
import { pgSqlClient } from "../../aggregator/stores/sql-client.js";
import type { SqlQuery } from "../../aggregator/ports/index.js";

// Labels from the ops database (aggregator/ops/labels.ts): the current version of each label,
// asked for only the replayed transactions, in chunks, so a long history of labels stays on the
// server. Read-only: no migrations are run against the operator's database.

const CHUNK = 5000;

export async function readPgLabels(sql: SqlQuery, transactionIds: readonly string[]): Promise<Map<string, boolean>> {
  const labels = new Map<string, boolean>();
  for (let i = 0; i < transactionIds.length; i += CHUNK) {
    const { rows } = await sql.query<{ transaction_id: string; is_fraud: boolean }>(
      "SELECT transaction_id, is_fraud FROM fraud_ops.current_labels WHERE transaction_id = ANY($1::text[])",
      [transactionIds.slice(i, i + CHUNK)],
    );
    for (const r of rows) labels.set(r.transaction_id, r.is_fraud);
  }
  return labels;
}

/** Opens DATABASE_URL-style `url`, reads, closes. */
export async function readPgLabelsFrom(url: string, transactionIds: readonly string[]): Promise<Map<string, boolean>> {
  const client = pgSqlClient(new pg.Pool({ connectionString: url, max: 1 }));
  try {
    return await readPgLabels(client, transactionIds);
  } finally {
    await client.close();
  }
}
