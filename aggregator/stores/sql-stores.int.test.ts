import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshPgDatabase, unreachablePool, type FreshDatabase } from "../testing/pg-harness.js";
import { MIGRATIONS_DIR } from "../testing/paths.js";
import { summaryStoreContract } from "../testing/summary-store.contract.js";
import { verdictStoreContract } from "../testing/verdict-store.contract.js";
import { applySqlMigrations, listSqlMigrations } from "../schema/migrate.js";
import { pgSqlClient } from "./sql-client.js";
import { createSqlSummaryStore } from "./sql-summary-store.js";
import { createSqlVerdictStore } from "./sql-verdict-store.js";
import type { SqlClient } from "../ports/index.js";

// The SQL adapters on the real PostgreSQL (127.0.0.1:5432), each run in a fresh database.

describe("applySqlMigrations on PostgreSQL", () => {
  let db: FreshDatabase;
  beforeAll(async () => {
    db = await freshPgDatabase();
  });
  afterAll(() => db.drop());

  it("applies every migration once when several processes start at the same time, and is idempotent", async () => {
    const clients = [0, 1, 2].map(() => pgSqlClient(db.pool(2)));
    try {
      const results = await Promise.all(clients.map((c) => applySqlMigrations(c, MIGRATIONS_DIR)));
      const files = (await listSqlMigrations(MIGRATIONS_DIR)).map((f) => f.name);
      expect(results.flatMap((r) => r.applied).sort()).toEqual(files);
      const again = await applySqlMigrations(clients[0]!, MIGRATIONS_DIR);
      expect(again.applied).toEqual([]);
      expect(again.alreadyApplied).toEqual(files);
      const { rows } = await clients[0]!.query<{ n: number }>("SELECT count(*)::int AS n FROM public.schema_migrations");
      expect(rows[0]?.n).toBe(files.length);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });
});

const summaryDb: { db?: FreshDatabase; client?: SqlClient } = {};
summaryStoreContract("PostgreSQL", {
  async setup() {
    summaryDb.db = await freshPgDatabase();
    summaryDb.client = pgSqlClient(summaryDb.db.pool());
    await applySqlMigrations(summaryDb.client, MIGRATIONS_DIR);
    return createSqlSummaryStore(summaryDb.client, { closeClient: false });
  },
  async teardown() {
    await summaryDb.client?.close();
    await summaryDb.db?.drop();
  },
  second: async () => createSqlSummaryStore(pgSqlClient(summaryDb.db!.pool())),
  async withoutSchema() {
    const bare = await freshPgDatabase("vigil_ct_bare");
    const client = pgSqlClient(bare.pool(1));
    const store = createSqlSummaryStore(client);
    return { ...store, close: async () => { await store.close(); await bare.drop(); } };
  },
  unreachable: async () => createSqlSummaryStore(pgSqlClient(unreachablePool())),
});

const verdictDb: { db?: FreshDatabase; client?: SqlClient } = {};
verdictStoreContract("PostgreSQL", {
  async setup() {
    verdictDb.db = await freshPgDatabase();
    verdictDb.client = pgSqlClient(verdictDb.db.pool());
    await applySqlMigrations(verdictDb.client, MIGRATIONS_DIR);
    return createSqlVerdictStore(verdictDb.client);
  },
  async teardown() {
    await verdictDb.client?.close();
    await verdictDb.db?.drop();
  },
  async withoutSchema() {
    const bare = await freshPgDatabase("vigil_ct_bare");
    const client = pgSqlClient(bare.pool(1));
    return { store: createSqlVerdictStore(client), close: async () => { await client.close(); await bare.drop(); } };
  },
  async unreachable() {
    const client = pgSqlClient(unreachablePool());
    return { store: createSqlVerdictStore(client), close: () => client.close() };
  },
});
