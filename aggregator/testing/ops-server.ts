import type { AddressInfo } from "node:net";
import { PGlite } from "@electric-sql/pglite";
import { serve, type ServerType } from "@hono/node-server";
import { silentLogger } from "../../core/contracts/logger.js";
import { applySqlMigrations } from "../schema/migrate.js";
import { createTokenAuth, type TokenRecord } from "../http/auth.js";
import { createRiskJob } from "../risk/job.js";
import { createOpsRoutes } from "../ops/routes.js";
import type { SqlClient } from "../ports/sql.js";
import { pgliteSqlClient } from "../stores/sql-client.js";
import { createSqlSummaryStore } from "../stores/sql-summary-store.js";
import { createSqlVerdictStore } from "../stores/sql-verdict-store.js";
import { applyOpsMigrations } from "./ops.js";
import { MIGRATIONS_DIR } from "./paths.js";

// Test harness: the ops API served over HTTP on a loopback port with PGlite behind it, for tests
// outside the aggregator (the CLI's imports) that drive the API the way an operator's tool does.
// Read-backs a test needs beyond the API go through `sql` or the functions re-exported below.

export { listEventsOf } from "../lists/lists.js";
export { writeLabel, type LabelWrite } from "../risk/labels.js";
export { openPglite } from "../stores/open.js";
export type { SqlClient } from "../ports/sql.js";
export { MIGRATIONS_DIR } from "./paths.js";

export interface OpsServer {
  url: string;
  sql: SqlClient;
  stop(): Promise<void>;
}

export interface OpsServerOptions {
  /** The tokens the API knows (OPS_BOOTSTRAP_TOKENS). */
  tokens: TokenRecord[];
  /** Every migration (as production) instead of the ops migrations alone. */
  allMigrations?: boolean;
}

export async function startOpsServer(opts: OpsServerOptions): Promise<OpsServer> {
  const db = new PGlite();
  const sql = pgliteSqlClient(db);
  if (opts.allMigrations) await applySqlMigrations(sql, MIGRATIONS_DIR);
  else await applyOpsMigrations(sql);
  const now = () => Date.now();
  const riskJob = createRiskJob({ sql, now });
  const app = createOpsRoutes({
    sql,
    riskJob,
    now,
    verdicts: createSqlVerdictStore(sql, { now }),
    summaries: createSqlSummaryStore(sql, { closeClient: false }),
    auth: createTokenAuth({ sql, now, bootstrap: opts.tokens }),
    log: silentLogger,
    health: { probes: [], lag: async () => [], throughputTps: () => 0, sinks: () => ({}), startedAtMs: now(), now },
  });
  let server: ServerType | undefined;
  const url = await new Promise<string>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) => resolve(`http://127.0.0.1:${info.port}`));
  });
  return {
    url,
    sql,
    async stop() {
      await riskJob.stop();
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
      await db.close();
    },
  };
}
