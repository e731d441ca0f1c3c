import pg from "pg";
import { currentLabels, pgSqlClient } from "../../aggregator/index.js";

// Labels from the ops database through the aggregator's one labels query (current version of
// each label, only the replayed transactions). Read-only: no migrations are run against the
// operator's database.

export const readPgLabels = currentLabels;

/** Opens DATABASE_URL-style `url`, reads, closes. */
export async function readPgLabelsFrom(url: string, transactionIds: readonly string[]): Promise<Map<string, boolean>> {
  const client = pgSqlClient(new pg.Pool({ connectionString: url, max: 1 }));
  try {
    return await readPgLabels(client, transactionIds);
  } finally {
    await client.close();
  }
}
