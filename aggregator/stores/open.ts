import { PGlite } from "@electric-sql/pglite";
import cassandra from "cassandra-driver";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { applyCqlDir, applySqlMigrations, DEFAULT_CQL_DIR, DEFAULT_SQL_MIGRATIONS_DIR, type MigrationResult } from "../migrate.js";
import { toCassandraPortError } from "./cassandra-errors.js";
import { pgliteSqlClient, pgSqlClient, toSqlPortError, type SqlClient } from "./sql-client.js";

// Openers for the wiring code: each returns a client with its schema applied, ready for the
// store factories. Config values come from the caller's zod-parsed config.

/** Embedded profile: PGlite persisted under <dataDir>/pglite, every SQL migration applied. */
export async function openPglite(dataDir: string, migrationsDir = DEFAULT_SQL_MIGRATIONS_DIR): Promise<{ client: SqlClient; migrations: MigrationResult }> {
  const dir = join(dataDir, "pglite");
  await mkdir(dir, { recursive: true });
  let db: PGlite;
  try {
    db = await PGlite.create(dir);
  } catch (e) {
    throw toSqlPortError(`pglite open ${dir}`, e);
  }
  const client = pgliteSqlClient(db);
  return { client, migrations: await applySqlMigrations(client, migrationsDir) };
}

/** Stack profile: a pg Pool on DATABASE_URL, every SQL migration applied (advisory-locked). */
export async function openPostgres(databaseUrl: string, options: { max?: number; migrationsDir?: string } = {}): Promise<{ client: SqlClient; migrations: MigrationResult }> {
  const client = pgSqlClient(new pg.Pool({ connectionString: databaseUrl, max: options.max ?? 10 }));
  try {
    return { client, migrations: await applySqlMigrations(client, options.migrationsDir ?? DEFAULT_SQL_MIGRATIONS_DIR) };
  } catch (e) {
    await client.close();
    throw e;
  }
}

/** Stack profile: a Cassandra client, infra/cassandra/*.cql applied (idempotent). */
export async function openCassandra(options: { contactPoints: string[]; localDataCenter: string; cqlDir?: string }): Promise<cassandra.Client> {
  const client = new cassandra.Client({ contactPoints: options.contactPoints, localDataCenter: options.localDataCenter });
  try {
    await client.connect();
    await applyCqlDir(client, options.cqlDir ?? DEFAULT_CQL_DIR);
    return client;
  } catch (e) {
    await client.shutdown().catch(() => undefined);
    throw toCassandraPortError("cassandra open", e);
  }
}
