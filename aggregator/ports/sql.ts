// The SQL port: the SQL stores, the ingest ledger and the ops tables are written once against it;
// two adapters (pg Pool for PostgreSQL, PGlite for the embedded profile; stores/sql-client.ts) make
// the same code run on both. Parameters use $1..$n. Values are cast in SQL (::int, ::float8,
// ::text) so both drivers hand back the same JS types.

export interface SqlQueryable {
  /** One statement, with parameters. */
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
  /** A script of several statements, no parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface SqlClient extends SqlQueryable {
  /** Runs fn inside BEGIN/COMMIT on one connection; rolls back when fn throws. */
  transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** What a reader needs: one statement at a time (a client or a transaction). */
export type SqlQuery = Pick<SqlQueryable, "query">;
/** What a writer needs: statements and transactions, never close. */
export type OpsSql = Pick<SqlClient, "query" | "transaction">;

/** Timestamps come back as Date (pg, PGlite) or text; answers carry ISO 8601 UTC. */
export function isoOf(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  return new Date(String(v)).toISOString();
}

export function isoOrNull(v: unknown): string | null {
  return v === null || v === undefined ? null : isoOf(v);
}
