import { PGlite } from "@electric-sql/pglite";
import { MIGRATIONS_DIR } from "../testing/paths.js";
import { summaryStoreContract } from "../testing/summary-store.contract.js";
import { applySqlMigrations } from "../schema/migrate.js";
import { pgliteSqlClient } from "./sql-client.js";
import { createSqlSummaryStore } from "./sql-summary-store.js";

// The embedded profile's reporting store: PGlite in-process, migrations applied as at start.
let store: ReturnType<typeof createSqlSummaryStore>;
summaryStoreContract("PGlite", {
  async setup() {
    const client = pgliteSqlClient(new PGlite());
    await applySqlMigrations(client, MIGRATIONS_DIR);
    store = createSqlSummaryStore(client);
    return store;
  },
  teardown: () => store.close(),
  withoutSchema: async () => createSqlSummaryStore(pgliteSqlClient(new PGlite())),
});
