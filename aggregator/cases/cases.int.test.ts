import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type pg from "pg";
import { silentLogger } from "../../core/contracts/logger.js";
import { applySqlMigrations } from "../schema/migrate.js";
import { pgSqlClient } from "../stores/sql-client.js";
import { createSqlSummaryStore } from "../stores/sql-summary-store.js";
import { createSqlVerdictStore } from "../stores/sql-verdict-store.js";
import { freshPgDatabase, type FreshDatabase } from "../testing/pg-harness.js";
import { scoredEvent } from "../testing/ops-fixtures.js";
import { createTokenAuth, sha256Hex } from "../http/auth.js";
import { decideCase } from "./actions.js";
import { createReviewCases } from "./intake.js";
import { createRiskJob } from "../risk/job.js";
import { caseEvents, caseTransactions } from "./review.js";
import { createOpsRoutes } from "../ops/routes.js";
import type { SqlClient } from "../ports/index.js";

// Case handling under real concurrency: a PostgreSQL database of its own, a pool of 24
// connections, twenty analysts (tokens) acting on one case at the same moment through the ops API.

const N = 20;
const token = (i: number) => `tok-case-analyst-${i}-0123456789`;
const ADMINS = ["lead-a", "lead-b", "lead-c", "lead-d", "lead-e"];
const adminToken = (n: string) => `tok-${n}-0123456789`;
const clock = { nowMs: Date.now(), slaHours: 24 };
const iso = () => new Date().toISOString();

let fresh: FreshDatabase;
let pool: pg.Pool;
let sql: SqlClient;
let app: ReturnType<typeof createOpsRoutes>;

beforeAll(async () => {
  fresh = await freshPgDatabase("vigil_cases");
  pool = fresh.pool(24);
  sql = pgSqlClient(pool);
  await applySqlMigrations(sql);
  const auth = createTokenAuth({
    now: Date.now,
    bootstrap: [
      ...Array.from({ length: N }, (_, i) => ({ name: `analyst-${i}`, role: "analyst" as const, sha256: sha256Hex(token(i)) })),
      ...ADMINS.map((n) => ({ name: n, role: "admin" as const, sha256: sha256Hex(adminToken(n)) })),
    ],
  });
  app = createOpsRoutes({
    sql,
    verdicts: createSqlVerdictStore(sql),
    summaries: createSqlSummaryStore(sql, { closeClient: false }),
    auth,
    riskJob: createRiskJob({ sql, now: Date.now }),
    now: Date.now,
    log: silentLogger,
    health: { probes: [], lag: async () => [], throughputTps: () => 0, sinks: () => ({}), startedAtMs: Date.now(), now: Date.now },
  });
});
afterAll(async () => {
  await pool?.end();
  await fresh?.drop();
});

const post = (path: string, tok: string, body?: unknown) =>
  app.request(path, {
    method: "POST",
    headers: { authorization: `Bearer ${tok}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });

async function openCase(card: string, n = 1): Promise<number> {
  const recs = Array.from({ length: n }, (_, i) => scoredEvent({ id: `${card}-T${i}`, card, verdict: "REVIEW", at: new Date(Date.now() - 60_000 + i).toISOString() }));
  await createReviewCases(sql, recs, iso());
  const { rows } = await sql.query<{ case_id: number }>("SELECT case_id::float8 AS case_id FROM fraud_ops.review_cases WHERE card_number_hash = $1 AND status = 'OPEN'", [card]);
  const id = rows[0]?.case_id;
  if (id === undefined) throw new Error(`no open case for ${card}`);
  return id;
}

describe("case assignment on real PostgreSQL", () => {
  it("has exactly one winner of 20 concurrent claims, and one audit row", async () => {
    const id = await openCase("card-claim-race");
    const answers = await Promise.all(Array.from({ length: N }, (_, i) => post(`/v1/review/cases/${id}/claim`, token(i))));
    const bodies = await Promise.all(answers.map(async (r) => ({ status: r.status, body: (await r.json()) as { case?: { claimed_by: string }; error?: { code: string } } })));
    const winners = bodies.filter((b) => b.status === 200);
    expect(winners).toHaveLength(1);
    expect(bodies.filter((b) => b.status === 409 && b.body.error?.code === "CLAIMED_BY_OTHER")).toHaveLength(N - 1);
    const events = await caseEvents(sql, id);
    expect(events.filter((e) => e.action === "CLAIM").map((e) => e.actor)).toEqual([winners[0]?.body.case?.claimed_by]);
  });

  it("lets exactly one of 20 concurrent compare-and-set reassignments win, and keeps the audit chain exact", async () => {
    const id = await openCase("card-assign-race");
    expect((await post(`/v1/review/cases/${id}/claim`, token(0))).status).toBe(200);
    // Every admin believes analyst-0 holds the case and hands it to a different analyst.
    const answers = await Promise.all(
      Array.from({ length: N }, (_, i) => post(`/v1/review/cases/${id}/assign`, adminToken(ADMINS[i % ADMINS.length] ?? "lead-a"), { assignee: `analyst-${(i % (N - 1)) + 1}`, expected_assignee: "analyst-0" })),
    );
    const statuses = await Promise.all(answers.map(async (r) => [r.status, ((await r.json()) as { error?: { code: string } }).error?.code ?? "ok"]));
    expect(statuses.filter(([s]) => s === 200)).toHaveLength(1);
    expect(statuses.filter(([s, c]) => s === 409 && c === "ASSIGNEE_CHANGED")).toHaveLength(N - 1);
    // Without compare-and-set every reassignment applies in turn: each audit row names the assignee the previous one set.
    await Promise.all(Array.from({ length: N }, (_, i) => post(`/v1/review/cases/${id}/assign`, adminToken(ADMINS[i % ADMINS.length] ?? "lead-a"), { assignee: `analyst-${i}` })));
    const chain = (await caseEvents(sql, id)).filter((e) => e.action === "CLAIM" || e.action === "ASSIGN");
    for (let i = 1; i < chain.length; i++) expect(chain[i]?.previous_claimed_by).toBe(chain[i - 1]?.assignee);
    const { rows } = await sql.query<{ claimed_by: string }>("SELECT claimed_by FROM fraud_ops.review_cases WHERE case_id = $1", [id]);
    expect(rows[0]?.claimed_by).toBe(chain[chain.length - 1]?.assignee);
  });

  it("keeps one open case per card when flagged verdicts of one card arrive in concurrent batches", async () => {
    const card = "card-intake-race";
    await Promise.all(
      Array.from({ length: 10 }, (_, b) =>
        createReviewCases(sql, [scoredEvent({ id: `${card}-B${b}`, card, verdict: b % 3 === 0 ? "BLOCKED" : "REVIEW", at: new Date(Date.now() - b * 1000).toISOString() })], iso()),
      ),
    );
    const { rows } = await sql.query<{ case_id: number; transaction_count: number; blocked_count: number }>(
      "SELECT case_id::float8 AS case_id, transaction_count, blocked_count FROM fraud_ops.review_cases WHERE card_number_hash = $1",
      [card],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ transaction_count: 10, blocked_count: 4 });
    expect(await caseTransactions(sql, rows[0]?.case_id ?? -1)).toHaveLength(10);
  });

  it("never leaves a transaction in a decided case without its label when a verdict races the decision", async () => {
    const card = "card-decide-race";
    const id = await openCase(card, 2);
    await Promise.all([
      decideCase(sql, id, { name: "lead-a", admin: true }, { decision: "FRAUD", note: "ring" }, iso(), clock),
      ...Array.from({ length: 5 }, (_, i) => createReviewCases(sql, [scoredEvent({ id: `${card}-late${i}`, card, verdict: "REVIEW", at: iso() })], iso())),
    ]);
    const { rows } = await sql.query<{ transaction_id: string; status: string; labelled: boolean }>(
      `SELECT t.transaction_id, c.status, EXISTS (SELECT 1 FROM fraud_ops.current_labels l WHERE l.transaction_id = t.transaction_id) AS labelled
         FROM fraud_ops.case_transactions t JOIN fraud_ops.review_cases c USING (case_id) WHERE t.card_number_hash = $1`,
      [card],
    );
    expect(rows).toHaveLength(7);
    for (const r of rows) expect(r.status === "DECIDED" ? r.labelled : r.status === "OPEN" && !r.labelled).toBe(true);
    const open = await sql.query<{ n: number }>("SELECT count(*)::int AS n FROM fraud_ops.review_cases WHERE card_number_hash = $1 AND status = 'OPEN'", [card]);
    expect(open.rows[0]?.n).toBeLessThanOrEqual(1);
  });
});
