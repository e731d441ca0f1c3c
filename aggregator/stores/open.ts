import { PGlite } from "@electric-sql/pglite";
import cassandra from "cassandra-driver";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { applyCqlDir, applySqlMigrations, DEFAULT_CQL_DIR, DEFAULT_SQL_MIGRATIONS_DIR, type MigrationResult } from "../schema/migrate.js";
import { toCassandraPortError } from "./cassandra-errors.js";
import { pgliteSqlClient, pgSqlClient, toSqlPortError } from "./sql-client.js";
import type { SqlClient } from "../ports/index.js";

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

/** Bounds on every PostgreSQL call, so a stopped or hung server fails a call instead of hanging it. */
export interface PgTimeouts {
  /** Waiting for a pooled connection or a new one (pg's connectionTimeoutMillis). */
  connectMs: number;
  /** Server-side statement_timeout; migrations may run longer (they set their own). */
  statementMs: number;
  /** Client-side: a query with no answer at all (server stopped, network gone) rejects after this. */
  queryMs: number;
}
export const DEFAULT_PG_TIMEOUTS: PgTimeouts = { connectMs: 5_000, statementMs: 30_000, queryMs: 35_000 };

export function pgPoolConfig(databaseUrl: string, max: number, t: PgTimeouts = DEFAULT_PG_TIMEOUTS): pg.PoolConfig {
  return {
    connectionString: databaseUrl,
    max,
    connectionTimeoutMillis: t.connectMs,
    statement_timeout: t.statementMs,
    query_timeout: t.queryMs,
    // A transaction left open by a hung client must not hold its locks for ever.
    idle_in_transaction_session_timeout: t.queryMs * 2,
    keepAlive: true,
  };
}

/** Stack profile: a pg Pool on DATABASE_URL, every SQL migration applied (advisory-locked). */
export async function openPostgres(
  databaseUrl: string,
  options: { max?: number; migrationsDir?: string; timeouts?: PgTimeouts } = {},
): Promise<{ client: SqlClient; migrations: MigrationResult }> {
  const pool = new pg.Pool(pgPoolConfig(databaseUrl, options.max ?? 10, options.timeouts));
  // A client whose server went away (or timed out) emits "error": on the pool while idle, on the
  // client itself while checked out. Unhandled, either kills the process; the failed call still
  // rejects and is mapped by toSqlPortError, so the listeners only keep the process alive.
  pool.on("error", () => undefined);
  pool.on("connect", (c) => c.on("error", () => undefined));
  const client = pgSqlClient(pool);
  try {
    return { client, migrations: await applySqlMigrations(client, options.migrationsDir ?? DEFAULT_SQL_MIGRATIONS_DIR) };
  } catch (e) {
    await client.close();
    throw e;
  }
}

/** Stack profile: a Cassandra client, aggregator/schema/cassandra/*.cql applied (idempotent). */
export async function openCassandra(options: {
  contactPoints: string[];
  localDataCenter: string;
  cqlDir?: string;
  /** Per request without an answer (driver readTimeout; default 12 s) and per connection attempt (default 5 s). */
  readTimeoutMs?: number;
  connectTimeoutMs?: number;
}): Promise<cassandra.Client> {
  const client = new cassandra.Client({
    contactPoints: options.contactPoints,
    localDataCenter: options.localDataCenter,
    socketOptions: { connectTimeout: options.connectTimeoutMs ?? 5_000, readTimeout: options.readTimeoutMs ?? 12_000 },
  });
  try {
    await client.connect();
    await applyCqlDir(client, options.cqlDir ?? DEFAULT_CQL_DIR);
    return client;
  } catch (e) {
    await client.shutdown().catch(() => undefined);
    throw toCassandraPortError("cassandra open", e);
  }
}
