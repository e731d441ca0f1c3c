import type { SqlClient, SqlQueryable } from "../stores/sql-client.js";

// The ops module runs on agg-B's SqlClient (pg Pool in the stack profile, PGlite embedded).
// Values are cast in SQL (::int, ::float8, ::text) so both drivers hand back the same JS types.

export type SqlQuery = Pick<SqlQueryable, "query">;
export type OpsSql = Pick<SqlClient, "query" | "transaction">;

/** Timestamps come back as Date (pg, PGlite) or text; answers carry ISO 8601 UTC. */
export function isoOf(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  return new Date(String(v)).toISOString();
}

export function isoOrNull(v: unknown): string | null {
  return v === null || v === undefined ? null : isoOf(v);
}
