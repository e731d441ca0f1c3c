import { PGlite } from "@electric-sql/pglite";
import { verdictStoreContract } from "../testing/verdict-store.contract.js";
import { applySqlMigrations } from "../schema/migrate.js";
import { MIGRATIONS_DIR } from "../testing/paths.js";
import { pgliteSqlClient } from "./sql-client.js";
import { createSqlVerdictStore, pruneSqlHotStore } from "./sql-verdict-store.js";
import { expect, it } from "vitest";
import { alertOf, HOUR_MS, iso, scoredEvent, uniq } from "../testing/scored-events.js";
import type { SqlClient } from "../ports/index.js";

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

it("pruneSqlHotStore drops what Cassandra's TTLs would, and keeps every card's current window", async () => {
  const db = pgliteSqlClient(new PGlite());
  try {
    await applySqlMigrations(db, MIGRATIONS_DIR);
    const store = createSqlVerdictStore(db);
    const card = `card_${uniq()}`;
    const now = Date.parse("2026-09-01T00:00:00Z");
    const old = scoredEvent({ card, ts: iso(now - 100 * 24 * HOUR_MS), verdict: "BLOCKED" });
    const recent = [2, 1].map((h) => scoredEvent({ card, ts: iso(now - h * HOUR_MS), amount: 5 }));
    await store.putAlerts([alertOf(old)]);
    await store.putVerdicts([old, ...recent]);
    expect(await pruneSqlHotStore(db, now)).toEqual({ alerts: 1, verdicts: 1, activity: 1 });
    expect(await store.getVerdict(old.event.transaction_id)).toBeUndefined();
    expect(await store.countAlertsForCard(card, 0)).toBe(0);
    await store.putVerdicts(recent); // a re-delivery after pruning still sees the full window
    expect(await store.getUserRisk(card)).toMatchObject({ tx_count_24hr: 2, spend_total_24hr: 10 });
  } finally {
    await db.close();
  }
}, 240_000);
