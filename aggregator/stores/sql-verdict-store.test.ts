import { PGlite } from "@electric-sql/pglite";
import { verdictStoreContract } from "../contract/verdict-store.contract.js";
import { applySqlMigrations } from "../migrate.js";
import { MIGRATIONS_DIR } from "../contract/paths.js";
import { pgliteSqlClient, type SqlClient } from "./sql-client.js";
import { createSqlVerdictStore } from "./sql-verdict-store.js";

// The embedded profile's hot store: PGlite in-process, every migration applied as at start.
let client: SqlClient;
verdictStoreContract("PGlite", {
  async setup() {
    client = pgliteSqlClient(new PGlite());
    await applySqlMigrations(client, MIGRATIONS_DIR);
    return createSqlVerdictStore(client);
  },
  teardown: () => client.close(),
  async withoutSchema() {
    const bare = pgliteSqlClient(new PGlite());
    return { store: createSqlVerdictStore(bare), close: () => bare.close() };
  },
});
