import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SqlQueryable } from "../ports/index.js";

// Test helper: applies only the ops migrations (*_ops_*.sql) so ops tests run on a fresh PGlite
// or schema. Production applies every migration through aggregator/schema/migrate.ts.
const MIGRATIONS_DIR = fileURLToPath(new URL("../schema/postgres/", import.meta.url));

export async function applyOpsMigrations(sql: Pick<SqlQueryable, "exec">): Promise<void> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => /^\d+_ops_.*\.sql$/.test(f)).sort();
  for (const f of files) await sql.exec(await readFile(join(MIGRATIONS_DIR, f), "utf8"));
}
