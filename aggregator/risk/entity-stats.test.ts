import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeEntityStats } from "../../core/contracts/entity-stats.js";
import { EntityRiskAccumulator } from "../../core/features/entity-risk.js";
import { pgliteSqlClient } from "../stores/sql-client.js";
import { scoredEvent } from "../testing/ops-fixtures.js";
import { applyOpsMigrations } from "../testing/ops.js";
import { recomputeEntityStats, StatsConfigSchema } from "./entity-stats.js";
import { applyFeedback } from "./labels.js";
import { buildSnapshot, publishReference } from "../reference/publish.js";
import { recomputeRisk, RiskConfigSchema } from "./risk.js";
import { insertScoredTransactions } from "../ops/sinks.js";
import type { SqlClient } from "../ports/index.js";
import { REDIS_HASH, type ReferenceDelta, type ReferenceTarget } from "../reference/target.js";

const DAY = 86_400_000;
const NOW = Date.parse("2026-06-30T12:00:00Z");
const END = NOW - 7 * DAY; // default label delay
const iso = (ms: number) => new Date(ms).toISOString();

// A hand-built history: [id, terminal, merchant, event time, label (undefined = none)].
const ROWS: [string, string, string, number, boolean | undefined][] = [
  ["a1", "T-A", "M-1", END - 0.5 * DAY, true], // 1, 7, 30 days
  ["a2", "T-A", "M-1", END - 3 * DAY, false], // 7, 30
  ["a3", "T-A", "M-1", END - 3 * DAY, true], // 7, 30
  ["a4", "T-A", "M-1", END - 20 * DAY, undefined], // 30; matured and unlabelled = legitimate
  ["a5", "T-A", "M-1", END - 40 * DAY, true], // before every window
  ["a6", "T-A", "M-1", NOW - 2 * DAY, true], // labelled but not matured: not counted
  ["a7", "T-A", "M-1", END, true], // the window end is exclusive
  ...Array.from({ length: 6 }, (_, i): [string, string, string, number, boolean | undefined] => [`b${i}`, "T-B", "M-1", END - 10 * DAY, undefined]),
  ["y1", "T-YOUNG", "M-2", NOW - 1 * DAY, true], // known, nothing matured yet
];

let db: PGlite;
let sql: SqlClient;

beforeAll(async () => {
  db = new PGlite();
  sql = pgliteSqlClient(db);
  await applyOpsMigrations(sql);
  await insertScoredTransactions(sql, ROWS.map(([id, terminal, merchant, at]) => scoredEvent({ id, terminal, merchant, at: iso(at) })));
  const labels = ROWS.filter((r) => r[4] !== undefined).map(([id, , , , f]) => ({ transaction_id: id, is_fraud: f === true, source: "CHARGEBACK" as const }));
  await applyFeedback(sql, labels, "test", iso(NOW));
}, 180_000);
afterAll(async () => {
  await db.close();
});

async function stored(kind: string): Promise<Map<string, ReturnType<typeof decodeEntityStats>>> {
  const { rows } = await sql.query<{ entity_id: string; value: string }>("SELECT entity_id, value FROM fraud_ops.entity_stats WHERE kind = $1", [kind]);
  return new Map(rows.map((r) => [r.entity_id, decodeEntityStats(r.value)]));
}

describe("terminal and merchant statistics from matured labels", () => {
  it("counts 1/7/30-day windows ending at now − delay, smoothed toward the matured population rate", async () => {
    const r = await sql.transaction((tx) => recomputeEntityStats(tx, NOW, StatsConfigSchema.parse({})));
    // Matured in the 30-day window: a1–a4 and b0–b5 = 10 transactions, 2 frauds.
    expect(r).toEqual({ window_end: iso(END), prior: 0.2, terminals: 3, merchants: 2 });
    const rate = (f: number, n: number) => (f + 10 * 0.2) / (n + 10);
    const terminals = await stored("terminal_stats");
    expect(terminals.get("T-A")).toEqual({
      tx_1d: 1, fraud_1d: 1, rate_1d: expect.closeTo(rate(1, 1), 6) as number,
      tx_7d: 3, fraud_7d: 2, rate_7d: expect.closeTo(rate(2, 3), 6) as number,
      tx_30d: 4, fraud_30d: 2, rate_30d: expect.closeTo(rate(2, 4), 6) as number,
    });
    expect(terminals.get("T-B")).toMatchObject({ tx_1d: 0, tx_7d: 0, tx_30d: 6, fraud_30d: 0 });
    // Known but nothing matured: listed with zero counts and the prior (unknown would be absent).
    expect(terminals.get("T-YOUNG")).toEqual({ tx_1d: 0, fraud_1d: 0, rate_1d: 0.2, tx_7d: 0, fraud_7d: 0, rate_7d: 0.2, tx_30d: 0, fraud_30d: 0, rate_30d: 0.2 });
    expect((await stored("merchant_stats")).get("M-1")).toMatchObject({ tx_1d: 1, fraud_1d: 1, tx_7d: 3, fraud_7d: 2, tx_30d: 10, fraud_30d: 2 });
  });

  it("agrees with core's EntityRiskAccumulator (what the eval and the trainer simulate)", async () => {
    await sql.transaction((tx) => recomputeEntityStats(tx, NOW, StatsConfigSchema.parse({})));
    const acc = { terminal: new EntityRiskAccumulator({ priorRate: 0.2 }), merchant: new EntityRiskAccumulator({ priorRate: 0.2 }) };
    for (const [, t, m, at, f] of ROWS) {
      acc.terminal.add(t, at, f === true);
      acc.merchant.add(m, at, f === true);
    }
    const close = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, expect.closeTo(v, 6) as number]));
    for (const [id, s] of await stored("terminal_stats")) expect(s).toEqual(close(acc.terminal.query(id, NOW)));
    for (const [id, s] of await stored("merchant_stats")) expect(s).toEqual(close(acc.merchant.query(id, NOW)));
  });

  it("does not count a label that has not matured; a shorter delay (the job's config) does", async () => {
    await sql.transaction((tx) => recomputeEntityStats(tx, NOW, StatsConfigSchema.parse({})));
    expect((await stored("terminal_stats")).get("T-A")).toMatchObject({ tx_30d: 4, fraud_30d: 2 });
    await sql.transaction((tx) => recomputeEntityStats(tx, NOW, StatsConfigSchema.parse({ labelDelayDays: 0.5 })));
    // Windows now end at NOW − 12 h: a6 (2 days old) and a7 count; a2/a3 slid out of the 7 days.
    expect((await stored("terminal_stats")).get("T-A")).toMatchObject({ tx_1d: 0, tx_7d: 3, fraud_7d: 3, tx_30d: 6, fraud_30d: 4 });
    expect((await stored("terminal_stats")).get("T-YOUNG")).toMatchObject({ tx_1d: 1, fraud_1d: 1 });
  });

  it("is recomputed by the risk job and published on change only, to Redis hashes and the snapshot", async () => {
    const cfg = RiskConfigSchema.parse({});
    expect(cfg.stats).toEqual({ labelDelayDays: 7, priorStrength: 10 });
    const r = await recomputeRisk(sql, NOW, cfg);
    expect(r.stats).toMatchObject({ terminals: 3, merchants: 2 });

    const sent: ReferenceDelta[] = [];
    const target: ReferenceTarget = { name: "memory", apply: async (p) => void ("risk" in p && sent.push(p.risk)) };
    const first = await publishReference(sql, target, iso(NOW));
    expect(first.changes).toBeGreaterThan(0);
    expect(Object.keys(sent[0]?.set.terminal_stats ?? {}).sort()).toEqual(["T-A", "T-B", "T-YOUNG"]);
    expect(decodeEntityStats(sent[0]?.set.merchant_stats["M-1"])).toMatchObject({ tx_30d: 10, fraud_30d: 2 });
    expect(REDIS_HASH.terminal_stats).toBe("vigil:stats:terminal");
    expect(REDIS_HASH.merchant_stats).toBe("vigil:stats:merchant");

    await recomputeRisk(sql, NOW, cfg);
    expect((await publishReference(sql, target, iso(NOW))).changes).toBe(0);

    const snap = await buildSnapshot(sql);
    expect(snap.terminal_stats?.["T-A"]).toMatchObject({ tx_7d: 3, fraud_7d: 2 });
    expect(snap.merchant_stats?.["M-2"]).toMatchObject({ tx_30d: 0, rate_30d: 0.2 });
  });
});
