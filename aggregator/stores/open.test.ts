import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { iso, scoredEvent } from "../testing/scored-events.js";
import { MIGRATIONS_DIR } from "../testing/paths.js";
import { openPglite } from "./open.js";
import { createSqlSummaryStore } from "./sql-summary-store.js";
import { createSqlVerdictStore } from "./sql-verdict-store.js";

it("openPglite persists under the data dir: a reopened store still has its rows, migrations run once", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "vigil-data-"));
  try {
    const r = scoredEvent({ ts: iso(Date.parse("2026-05-05T05:05:05Z")), verdict: "BLOCKED", amount: 12.34 });
    const first = await openPglite(dataDir, MIGRATIONS_DIR);
    expect(first.migrations.applied.length).toBeGreaterThan(0);
    await createSqlVerdictStore(first.client).putVerdicts([r]);
    await createSqlSummaryStore(first.client, { closeClient: false }).applyVerdicts([r]);
    await first.client.close();

    const again = await openPglite(dataDir, MIGRATIONS_DIR);
    try {
      expect(again.migrations.applied).toEqual([]);
      expect((await createSqlVerdictStore(again.client).getVerdict(r.event.transaction_id))?.record).toEqual(r);
      const summary = createSqlSummaryStore(again.client, { closeClient: false });
      await summary.applyVerdicts([r]);
      expect(await summary.summaryForDate("2026-05-05")).toMatchObject([{ total_transactions: 1, blocked_count: 1, total_fraud_amount: 12.34 }]);
    } finally {
      await again.client.close();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}, 240_000);
