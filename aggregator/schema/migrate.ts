import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Client as CassandraClient } from "cassandra-driver";
import { PortError, type SqlClient } from "../ports/index.js";

// Schema set-up, the one migrator of the repo: the aggregator runs it at start and
// infra/scripts/init-schemas.ts runs it by hand. SQL: numbered files applied in name order, each
// once, recorded in schema_migrations. CQL: statements written to be idempotent (IF NOT EXISTS),
// re-run each time.

// Resolved from this file, not the working directory, so the service starts from anywhere.
export const DEFAULT_SQL_MIGRATIONS_DIR = fileURLToPath(new URL("./postgres", import.meta.url));
export const DEFAULT_CQL_DIR = fileURLToPath(new URL("./cassandra", import.meta.url));

/** Arbitrary constant shared by every Vigil process: the advisory lock that serialises migrators. */
const MIGRATION_LOCK_KEY = 7_240_517_001;

export interface MigrationResult {
  applied: string[];
  alreadyApplied: string[];
  /** Applied earlier but edited since (checksum differs): reported, never re-run. */
  changed: string[];
}

export async function listSqlMigrations(dir: string): Promise<Array<{ name: string; sql: string; checksum: string }>> {
  const names = (await readdir(dir)).filter((n) => /^\d+_.*\.sql$/.test(n)).sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(join(dir, name), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    }),
  );
}

/**
 * Applies pending migrations, each in its own transaction holding a transaction-scoped advisory
 * lock, so two processes starting at once serialise: the second waits, re-reads
 * schema_migrations and skips what the first applied. Works on PostgreSQL and PGlite.
 */
export async function applySqlMigrations(client: SqlClient, dir = DEFAULT_SQL_MIGRATIONS_DIR): Promise<MigrationResult> {
  const files = await listSqlMigrations(dir);
  const result: MigrationResult = { applied: [], alreadyApplied: [], changed: [] };
  for (const file of files) {
    await client.transaction(async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock($1::bigint)", [MIGRATION_LOCK_KEY]);
      await tx.exec(
        `CREATE TABLE IF NOT EXISTS public.schema_migrations (
           name TEXT PRIMARY KEY, checksum TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
      );
      const { rows } = await tx.query<{ checksum: string }>("SELECT checksum FROM public.schema_migrations WHERE name = $1", [file.name]);
      const done = rows[0];
      if (done !== undefined) {
        (done.checksum === file.checksum ? result.alreadyApplied : result.changed).push(file.name);
        return;
      }
      try {
        await tx.exec(file.sql);
      } catch (e) {
        throw new PortError(`migration ${file.name} failed: ${(e as Error).message}`, e instanceof PortError && e.retriable, { cause: e });
      }
      await tx.query("INSERT INTO public.schema_migrations (name, checksum) VALUES ($1, $2)", [file.name, file.checksum]);
      result.applied.push(file.name);
    });
  }
  return result;
}

/**
 * Splits a CQL script into statements on `;` outside string literals. Drops `--` and `//` line
 * comments and block comments (comment markers inside a literal are text). Literals: '...' and "..."
 * (a doubled quote inside one just closes and reopens it, so it needs no special case) and
 * $$...$$ (CQL's dollar-quoted bodies of functions, which may hold `;` and quotes).
 */
export function splitCql(script: string): string[] {
  const out: string[] = [];
  let cur = "";
  let i = 0;
  /** The text that closes the literal being read: a quote character or `$$`. */
  let closing: string | undefined;
  const flush = () => {
    if (cur.trim()) out.push(cur.trim());
    cur = "";
  };
  while (i < script.length) {
    const ch = script[i] as string;
    const two = script.slice(i, i + 2);
    if (closing !== undefined) {
      const end = script.indexOf(closing, i);
      const stop = end < 0 ? script.length : end + closing.length;
      cur += script.slice(i, stop);
      i = stop;
      closing = undefined;
    } else if (two === "--" || two === "//") {
      const nl = script.indexOf("\n", i);
      i = nl < 0 ? script.length : nl;
    } else if (two === "/*") {
      const end = script.indexOf("*/", i + 2);
      i = end < 0 ? script.length : end + 2;
    } else if (two === "$$") {
      closing = "$$";
      cur += two;
      i += 2;
    } else if (ch === "'" || ch === '"') {
      closing = ch;
      cur += ch;
      i++;
    } else if (ch === ";") {
      flush();
      i++;
    } else {
      cur += ch;
      i++;
    }
  }
  flush();
  return out;
}

/** Errors that mean "this schema change is already there" (ALTER ... ADD re-run, races). */
const ALREADY_THERE = /already exists|conflicts with an existing column|Invalid column name .* because it conflicts/i;

/**
 * Applies every `*.cql` file of `dir`, schema.cql first, the rest in name order. Statements must be idempotent
 * (CREATE ... IF NOT EXISTS); an ALTER that finds its change already made is skipped, so two
 * processes starting together both succeed. The client must not be bound to a keyspace that
 * the script itself creates.
 */
export interface CqlResult {
  statements: number;
  skipped: number;
  /** Per file, in the order applied. */
  files: Array<{ name: string; statements: number; skipped: number }>;
}

export async function applyCqlDir(client: CassandraClient, dir = DEFAULT_CQL_DIR): Promise<CqlResult> {
  // schema.cql (the keyspace and the spec's tables) first, then additions in name order.
  const names = (await readdir(dir))
    .filter((n) => n.endsWith(".cql"))
    .sort((a, b) => (a === "schema.cql" ? -1 : b === "schema.cql" ? 1 : a.localeCompare(b)));
  const files: CqlResult["files"] = [];
  for (const name of names) {
    const file = { name, statements: 0, skipped: 0 };
    for (const stmt of splitCql(await readFile(join(dir, name), "utf8"))) {
      try {
        await client.execute(stmt);
        file.statements++;
      } catch (e) {
        if (ALREADY_THERE.test((e as Error).message)) {
          file.skipped++;
          continue;
        }
        throw new PortError(`${name}: ${(e as Error).message} in: ${stmt.slice(0, 120)}`, false, { cause: e });
      }
    }
    files.push(file);
  }
  const sum = (k: "statements" | "skipped") => files.reduce((n, f) => n + f[k], 0);
  return { statements: sum("statements"), skipped: sum("skipped"), files };
}
