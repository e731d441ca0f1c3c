import type { PGlite, Transaction } from "@electric-sql/pglite";
import type { Pool, PoolClient } from "pg";
import { MessageFaultError, PortError, type SqlClient, type SqlQueryable } from "../ports/index.js";

// The SQL port's two adapters (ports/sql.ts): pg Pool for PostgreSQL, PGlite for the embedded profile.

/**
 * SQLSTATE classes where trying again can succeed: connection loss (08), serialization failures
 * and deadlocks (40), insufficient resources (53), operator intervention / shutdown (57), and
 * lock timeouts (55P03). Everything else (syntax, constraint, data) will fail the same way again.
 */
export function isRetriableSqlState(code: string | undefined): boolean {
  if (code === undefined) return false;
  return ["08", "40", "53", "57"].includes(code.slice(0, 2)) || code === "55P03";
}

const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENOTFOUND", "EAI_AGAIN"]);

/**
 * SQLSTATE classes that blame the data written: data exceptions (22: overflow, bad text
 * representation, …) and integrity constraints (23). Only these may dead-letter a message; a
 * read-only server (25006), a missing privilege (42501) or table (42P01) is the infrastructure's.
 */
export function isDataSqlState(code: string | undefined): boolean {
  return code !== undefined && ["22", "23"].includes(code.slice(0, 2));
}

/** Maps a pg / PGlite error to PortError: retriable for transient server or network trouble. */
export function toSqlPortError(what: string, e: unknown): PortError {
  if (e instanceof PortError) return e;
  const err = e as { code?: unknown; message?: unknown };
  const code = typeof err.code === "string" ? err.code : undefined;
  const message = typeof err.message === "string" ? err.message : String(e);
  const text = `${what}: ${code ? `[${code}] ` : ""}${message}`;
  if (isDataSqlState(code)) return new MessageFaultError(text, undefined, { cause: e });
  const network = code !== undefined && NETWORK_CODES.has(code);
  // pg's client-side timeouts (connectionTimeoutMillis, query_timeout) carry no SQLSTATE.
  const lostConnection = /Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout/i.test(message);
  const retriable = network || lostConnection || isRetriableSqlState(code);
  return new PortError(text, retriable, { cause: e });
}

async function wrap<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toSqlPortError(what, e);
  }
}

function pgQueryable(c: Pool | PoolClient): SqlQueryable {
  return {
    query: <T>(sql: string, params: unknown[] = []) =>
      wrap("postgres query", async () => ({ rows: (await c.query(sql, params)).rows as T[] })),
    exec: (sql: string) => wrap("postgres exec", async () => void (await c.query(sql))),
  };
}

/** PostgreSQL through a pg Pool (the caller owns the Pool's config; close() ends it). */
export function pgSqlClient(pool: Pool): SqlClient {
  return {
    ...pgQueryable(pool),
    async transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
      const conn = await wrap("postgres connect", () => pool.connect());
      let broken = false;
      try {
        await wrap("postgres begin", () => conn.query("BEGIN"));
        const out = await fn(pgQueryable(conn));
        await wrap("postgres commit", () => conn.query("COMMIT"));
        return out;
      } catch (e) {
        try {
          await conn.query("ROLLBACK");
        } catch {
          broken = true; // the connection is gone; do not return it to the pool
        }
        throw toSqlPortError("postgres transaction", e);
      } finally {
        conn.release(broken);
      }
    },
    close: () => pool.end(),
  };
}

function pgliteQueryable(c: PGlite | Transaction): SqlQueryable {
  return {
    query: <T>(sql: string, params: unknown[] = []) =>
      wrap("pglite query", async () => ({ rows: (await c.query<T>(sql, params)).rows })),
    exec: (sql: string) => wrap("pglite exec", async () => void (await c.exec(sql))),
  };
}

/** The embedded profile's in-process PostgreSQL (PGlite). One connection: calls run in turn. */
export function pgliteSqlClient(db: PGlite): SqlClient {
  return {
    ...pgliteQueryable(db),
    transaction: <T>(fn: (tx: SqlQueryable) => Promise<T>) =>
      wrap("pglite transaction", () => db.transaction((tx) => fn(pgliteQueryable(tx)))),
    close: () => db.close(),
  };
}
