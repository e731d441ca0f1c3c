import { PGlite } from "@electric-sql/pglite";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgliteSqlClient } from "../stores/sql-client.js";
import { scoredEvent } from "../testing/ops-fixtures.js";
import { MIGRATIONS_DIR } from "../testing/paths.js";
import { addCaseNote, assignCase, claimCase, decideCase, releaseCase } from "./actions.js";
import { createReviewCases } from "./intake.js";
import { labelHistory } from "../risk/labels.js";
import { caseEvents, caseNotes, caseTransactions, decodeCursor, getCase, listCases, ListCasesQuerySchema } from "./review.js";
import type { SqlClient } from "../ports/index.js";

// Cases per card on an embedded PostgreSQL (PGlite): intake groups a card's flagged verdicts,
// migration 020 turns per-transaction cases into per-card ones, assignment rules and their audit,
// priority, age and SLA in the queue. Concurrency on a real server: cases.int.test.ts.

const NOW = Date.parse("2026-07-01T12:00:00Z");
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const clock = { nowMs: NOW, slaHours: 4 };
const admin = { name: "lead", admin: true };
const alice = { name: "alice", admin: false };
const bob = { name: "bob", admin: false };

async function opsFiles(filter: (name: string) => boolean): Promise<string[]> {
  const names = (await readdir(MIGRATIONS_DIR)).filter((f) => /^\d+_ops_.*\.sql$/.test(f) && filter(f)).sort();
  return Promise.all(names.map((n) => readFile(join(MIGRATIONS_DIR, n), "utf8")));
}

let db: PGlite;
let sql: SqlClient;

beforeAll(async () => {
  db = new PGlite();
  sql = pgliteSqlClient(db);
  for (const f of await opsFiles(() => true)) await sql.exec(f);
}, 180_000);
afterAll(async () => {
  await db.close();
});

const caseOf = async (card: string, status = "OPEN") =>
  (await sql.query<{ case_id: number }>("SELECT case_id::float8 AS case_id FROM fraud_ops.review_cases WHERE card_number_hash = $1 AND status = $2", [card, status])).rows.map((r) => r.case_id);

describe("priority", () => {
  it("is 70 points of the highest score and 30 of the total amount on a log scale", async () => {
    const { rows } = await sql.query<{ p: number }>(
      "SELECT fraud_ops.case_priority(s, a) AS p FROM (VALUES (60::float8, 42.5::float8, 1), (95, 5000, 2), (100, 1e9, 3), (0, 0, 4), (80, 0, 5)) v(s, a, o) ORDER BY o",
    );
    // 0.7·60 + 30·ln(43.5)/ln(10001) = 42 + 12.29; 0.7·95 + 30·ln(5001)/ln(10001) = 66.5 + 27.74
    expect(rows.map((r) => r.p)).toEqual([54, 94, 100, 0, 56]);
  });
});

describe("intake", () => {
  it("opens one case per card for BLOCKED and REVIEW verdicts, adds later ones to it, and is idempotent", async () => {
    const recs = [
      scoredEvent({ id: "I-1", card: "card-i", verdict: "BLOCKED", score: 92, amount: 300, at: iso(NOW - 3 * HOUR) }),
      scoredEvent({ id: "I-2", card: "card-i", verdict: "REVIEW", score: 61, amount: 20, at: iso(NOW - 2 * HOUR) }),
      scoredEvent({ id: "I-3", card: "card-i", verdict: "APPROVED", at: iso(NOW - HOUR) }),
      scoredEvent({ id: "J-1", card: "card-j", verdict: "BLOCKED", score: 85, at: iso(NOW - HOUR) }),
    ];
    expect(await createReviewCases(sql, recs, iso(NOW - HOUR))).toEqual({ opened: 2, added: 1, unchanged: 0 });
    expect(await createReviewCases(sql, recs, iso(NOW))).toEqual({ opened: 0, added: 0, unchanged: 3 });
    const [id] = await caseOf("card-i");
    const c = await getCase(sql, id ?? -1, clock);
    expect(c).toMatchObject({
      transaction_id: "I-1", transaction_count: 2, blocked_count: 1, max_fraud_score: 92, total_amount_usd: 320,
      last_event_time: iso(NOW - 2 * HOUR), priority: 83, // 0.7·92 + 30·ln(321)/ln(10001) = 64.4 + 18.8
    });
    expect((await caseTransactions(sql, id ?? -1)).map((t) => [t.transaction_id, t.verdict])).toEqual([["I-1", "BLOCKED"], ["I-2", "REVIEW"]]);
    expect((await caseEvents(sql, id ?? -1)).map((e) => [e.action, e.actor, e.transaction_id])).toEqual([["ADD_TRANSACTION", "system", "I-2"]]);
    expect(await caseOf("card-j")).toHaveLength(1);
  });

  it("keeps adding to a CLAIMED case, and opens a new case once the card's case is decided", async () => {
    const [id] = await caseOf("card-j");
    expect(await claimCase(sql, id ?? -1, "alice", iso(NOW), clock)).toMatchObject({ ok: true });
    await createReviewCases(sql, [scoredEvent({ id: "J-2", card: "card-j", verdict: "REVIEW", at: iso(NOW) })], iso(NOW));
    expect(await getCase(sql, id ?? -1, clock)).toMatchObject({ status: "CLAIMED", claimed_by: "alice", transaction_count: 2 });
    expect(await decideCase(sql, id ?? -1, alice, { decision: "FRAUD", note: "stolen card" }, iso(NOW), clock)).toMatchObject({
      ok: true,
      labels: [{ transaction_id: "J-1", outcome: "CREATED" }, { transaction_id: "J-2", outcome: "CREATED" }],
    });
    expect((await labelHistory(sql, "J-2"))[0]).toMatchObject({ is_fraud: true, source: "ANALYST", case_id: id });
    await createReviewCases(sql, [scoredEvent({ id: "J-3", card: "card-j", verdict: "BLOCKED", at: iso(NOW + HOUR) })], iso(NOW + HOUR));
    const [fresh] = await caseOf("card-j");
    expect(fresh).not.toBe(id);
    expect(await getCase(sql, fresh ?? -1, clock)).toMatchObject({ transaction_id: "J-3", transaction_count: 1, status: "OPEN" });
  });

  it("refuses a second undecided case for a card at the database", async () => {
    await expect(
      sql.query(
        `INSERT INTO fraud_ops.review_cases (transaction_id, card_number_hash, merchant_id, merchant_category_code, channel, region, amount_usd,
           fraud_score, ml_score, event_time, max_fraud_score, total_amount_usd, last_event_time)
         VALUES ('DUP-1', 'card-i', 'M', '5411', 'ONLINE', 'eu', 1, 60, 0.6, now(), 60, 1, now())`,
      ),
    ).rejects.toThrow(/review_cases_one_open_per_card/);
  });
});

describe("assign, release, notes", () => {
  let id = -1;
  beforeAll(async () => {
    await createReviewCases(sql, [scoredEvent({ id: "K-1", card: "card-k", verdict: "REVIEW", at: iso(NOW) })], iso(NOW));
    id = (await caseOf("card-k"))[0] ?? -1;
  }, 60_000);

  it("lets an analyst take an OPEN case or hand over their own, and an admin assign anyone; each change audited", async () => {
    expect(await assignCase(sql, id, alice, { assignee: "bob" }, iso(NOW), clock)).toMatchObject({ ok: false, reason: "NOT_CLAIMANT" });
    expect(await assignCase(sql, id, alice, { assignee: "alice" }, iso(NOW), clock)).toMatchObject({ ok: true, case: { status: "CLAIMED", claimed_by: "alice" } });
    expect(await assignCase(sql, id, bob, { assignee: "bob" }, iso(NOW), clock)).toMatchObject({ ok: false, reason: "CLAIMED_BY_OTHER" });
    expect(await releaseCase(sql, id, bob, iso(NOW), clock)).toMatchObject({ ok: false, reason: "NOT_CLAIMANT" });
    expect(await assignCase(sql, id, alice, { assignee: "bob" }, iso(NOW + 1), clock)).toMatchObject({ ok: true, case: { claimed_by: "bob" } });
    // Compare-and-set: an admin who still thinks alice has it is refused.
    expect(await assignCase(sql, id, admin, { assignee: "carol", expected_assignee: "alice" }, iso(NOW), clock)).toMatchObject({ ok: false, reason: "ASSIGNEE_CHANGED" });
    expect(await assignCase(sql, id, admin, { assignee: "carol", expected_assignee: "bob" }, iso(NOW + 2), clock)).toMatchObject({ ok: true, case: { claimed_by: "carol" } });
    expect(await assignCase(sql, id, admin, { assignee: "carol" }, iso(NOW + 3), clock)).toMatchObject({ ok: true }); // no-op
    expect(await releaseCase(sql, id, admin, iso(NOW + 4), clock)).toMatchObject({ ok: true, case: { status: "OPEN", claimed_by: null, claimed_at: null } });
    expect(await releaseCase(sql, id, admin, iso(NOW + 5), clock)).toMatchObject({ ok: false, reason: "NOT_CLAIMED" });
    expect((await caseEvents(sql, id)).map((e) => [e.action, e.actor, e.from_status, e.to_status, e.previous_claimed_by, e.assignee])).toEqual([
      ["ASSIGN", "alice", "OPEN", "CLAIMED", null, "alice"],
      ["ASSIGN", "alice", "CLAIMED", "CLAIMED", "alice", "bob"],
      ["ASSIGN", "lead", "CLAIMED", "CLAIMED", "bob", "carol"],
      ["RELEASE", "lead", "CLAIMED", "OPEN", "carol", null],
    ]);
  });

  it("keeps many notes per case, each audited, and none on a decided case", async () => {
    const n1 = await addCaseNote(sql, id, "alice", "called the cardholder, no answer", iso(NOW + 10), clock);
    const n2 = await addCaseNote(sql, id, "bob", "second device seen in another country", iso(NOW + 20), clock);
    expect([n1.ok, n2.ok]).toEqual([true, true]);
    const notes = await caseNotes(sql, id);
    expect(notes.map((n) => [n.author, n.body])).toEqual([["alice", "called the cardholder, no answer"], ["bob", "second device seen in another country"]]);
    const audited = (await caseEvents(sql, id)).filter((e) => e.action === "NOTE");
    expect(audited.map((e) => [e.actor, e.note, e.note_id])).toEqual(notes.map((n) => [n.author, n.body, n.note_id]));
    expect(await decideCase(sql, id, admin, { decision: "LEGIT", note: "ok" }, iso(NOW + 30), clock)).toMatchObject({ ok: true });
    expect(await addCaseNote(sql, id, "alice", "late", iso(NOW + 40), clock)).toMatchObject({ ok: false, reason: "ALREADY_DECIDED" });
    expect(await assignCase(sql, id, admin, { assignee: "bob" }, iso(NOW), clock)).toMatchObject({ ok: false, reason: "ALREADY_DECIDED" });
    expect(await addCaseNote(sql, 987_654, "alice", "x", iso(NOW), clock)).toMatchObject({ ok: false, reason: "NOT_FOUND" });
  });

  it("runs a decision's extra writes in its transaction: a failure there rolls the decision and its labels back", async () => {
    await createReviewCases(sql, [scoredEvent({ id: "ALSO-1", card: "card-also", verdict: "BLOCKED", at: iso(NOW) })], iso(NOW));
    const [c] = await caseOf("card-also");
    const seen: string[] = [];
    const failing = async (_tx: unknown, cs: { card_number_hash: string }) => {
      seen.push(cs.card_number_hash);
      throw new Error("list write failed");
    };
    await expect(decideCase(sql, c ?? -1, admin, { decision: "FRAUD", note: "n" }, iso(NOW), clock, failing)).rejects.toThrow("list write failed");
    expect(seen).toEqual(["card-also"]);
    expect(await getCase(sql, c ?? -1, clock)).toMatchObject({ status: "OPEN", decision: null });
    expect(await labelHistory(sql, "ALSO-1")).toEqual([]);
    expect((await caseEvents(sql, c ?? -1)).filter((e) => e.action === "DECIDE")).toEqual([]);
  });

  it("has exactly one winner of twenty simultaneous claims", async () => {
    await createReviewCases(sql, [scoredEvent({ id: "RACE-1", card: "card-race", verdict: "REVIEW", at: iso(NOW) })], iso(NOW));
    const [race] = await caseOf("card-race");
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => claimCase(sql, race ?? -1, `analyst-${i}`, iso(NOW), clock)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === "CLAIMED_BY_OTHER")).toHaveLength(19);
    expect((await caseEvents(sql, race ?? -1)).filter((e) => e.action === "CLAIM")).toHaveLength(1);
  });
});

describe("the queue: priority, age, SLA, assignee, pages", () => {
  beforeAll(async () => {
    // Three open cases created 1, 3 and 6 hours ago; SLA 4 hours.
    const mk = (id: string, card: string, score: number, amount: number, ageH: number) =>
      createReviewCases(sql, [scoredEvent({ id, card, verdict: score >= 80 ? "BLOCKED" : "REVIEW", score, amount, at: iso(NOW - ageH * HOUR) })], iso(NOW - ageH * HOUR));
    await mk("Q-1", "card-q1", 60, 5000, 1);
    await mk("Q-2", "card-q2", 95, 10, 3);
    await mk("Q-3", "card-q3", 70, 100, 6);
    await db.query("UPDATE fraud_ops.review_cases SET status = 'DECIDED', decision = 'LEGIT', decided_at = now() WHERE card_number_hash NOT LIKE 'card-q%' AND status IN ('OPEN', 'CLAIMED')");
  }, 60_000);

  it("sorts by priority (highest first) or age (oldest first) and shows age and SLA", async () => {
    const byPriority = await listCases(sql, ListCasesQuerySchema.parse({}), undefined, clock);
    // 0.7·95 + 30·ln(11)/ln(10001) = 74.3; 0.7·60 + 30·ln(5001)/ln(10001) = 69.7; 0.7·70 + 30·ln(101)/ln(10001) = 64.0
    expect(byPriority.cases.map((c) => [c.transaction_id, c.priority])).toEqual([["Q-2", 74], ["Q-1", 70], ["Q-3", 64]]);
    const byAge = await listCases(sql, ListCasesQuerySchema.parse({ sort: "age" }), undefined, clock);
    expect(byAge.cases.map((c) => [c.transaction_id, c.age_seconds, c.sla_breached])).toEqual([
      ["Q-3", 6 * 3600, true],
      ["Q-2", 3 * 3600, false],
      ["Q-1", 3600, false],
    ]);
    expect(byAge.cases[0]).toMatchObject({ sla_hours: 4, sla_due_at: iso(NOW - 2 * HOUR) });
  });

  it("pages with a limit and a cursor of the same sort", async () => {
    const q = ListCasesQuerySchema.parse({ sort: "age", limit: "2" });
    const p1 = await listCases(sql, q, undefined, clock);
    expect(p1.cases.map((c) => c.transaction_id)).toEqual(["Q-3", "Q-2"]);
    const p2 = await listCases(sql, q, decodeCursor(p1.next_cursor ?? "", "age"), clock);
    expect([p2.cases.map((c) => c.transaction_id), p2.next_cursor]).toEqual([["Q-1"], null]);
    const pp = ListCasesQuerySchema.parse({ limit: "1" });
    const a = await listCases(sql, pp, undefined, clock);
    const b = await listCases(sql, pp, decodeCursor(a.next_cursor ?? "", "priority"), clock);
    const c = await listCases(sql, pp, decodeCursor(b.next_cursor ?? "", "priority"), clock);
    expect([...a.cases, ...b.cases, ...c.cases].map((x) => x.transaction_id)).toEqual(
      (await listCases(sql, ListCasesQuerySchema.parse({}), undefined, clock)).cases.map((x) => x.transaction_id),
    );
    expect(c.next_cursor).toBeNull();
    expect(decodeCursor(a.next_cursor ?? "", "age")).toBeUndefined();
  });

  it("filters by assignee (CLAIMED unless a status is given)", async () => {
    const [q2] = await caseOf("card-q2");
    await claimCase(sql, q2 ?? -1, "dora", iso(NOW), clock);
    const mine = await listCases(sql, ListCasesQuerySchema.parse({ assignee: "dora" }), undefined, clock);
    expect(mine.cases.map((c) => c.transaction_id)).toEqual(["Q-2"]);
    expect((await listCases(sql, ListCasesQuerySchema.parse({ assignee: "dora", status: "OPEN" }), undefined, clock)).cases).toEqual([]);
    expect((await listCases(sql, ListCasesQuerySchema.parse({}), undefined, clock)).cases.map((c) => c.transaction_id)).not.toContain("Q-2");
    expect((await listCases(sql, ListCasesQuerySchema.parse({ card_hash: "card-q3" }), undefined, clock)).cases.map((c) => c.transaction_id)).toEqual(["Q-3"]);
  });

  it("shows a decided case's age as the time it took to decide", async () => {
    const [q1] = await caseOf("card-q1");
    const d = await decideCase(sql, q1 ?? -1, admin, { decision: "FRAUD", note: "n" }, iso(NOW - 30 * 60_000), clock);
    expect(d).toMatchObject({ ok: true, case: { age_seconds: 30 * 60, sla_breached: false } });
    expect((await getCase(sql, q1 ?? -1, { nowMs: NOW + 100 * HOUR, slaHours: 4 }))?.age_seconds).toBe(30 * 60);
  });
});

describe("migration 020 on per-transaction cases", () => {
  it("merges a card's undecided cases into the claimed (else oldest) one, keeps decided ones, and re-runs as a no-op", async () => {
    const old = new PGlite();
    const osql = pgliteSqlClient(old);
    try {
      for (const f of await opsFiles((n) => n < "020")) await osql.exec(f);
      const legacy = (tx: string, card: string, status: string, score: number, amount: number, claimedBy: string | null = null) =>
        osql.query(
          `INSERT INTO fraud_ops.review_cases (transaction_id, card_number_hash, merchant_id, merchant_category_code, channel, region, amount_usd,
             fraud_score, ml_score, event_time, created_at, status, claimed_by, claimed_at, decision)
           VALUES ($1, $2, 'M', '5411', 'ONLINE', 'eu', $3, $4, 0.5, $5, $5, $6, $7, $8, $9)`,
          [tx, card, amount, score, iso(NOW - HOUR), status, claimedBy, claimedBy ? iso(NOW) : null, status === "DECIDED" ? "LEGIT" : null],
        );
      await legacy("L-1", "card-x", "OPEN", 55, 10);
      await legacy("L-2", "card-x", "CLAIMED", 70, 20, "bob");
      await legacy("L-3", "card-x", "OPEN", 65, 30);
      await legacy("L-4", "card-y", "DECIDED", 60, 40);
      await legacy("L-5", "card-y", "OPEN", 62, 50);
      await legacy("L-6", "card-z", "OPEN", 58, 60);
      await legacy("L-7", "card-z", "OPEN", 59, 70);
      const [m020] = await opsFiles((n) => n.startsWith("020"));
      await osql.exec(m020 ?? "");
      const after = async () =>
        (await osql.query<{ transaction_id: string; status: string; merged_into: number | null; claimed_by: string | null; transaction_count: number; total_amount_usd: number; max_fraud_score: number }>(
          `SELECT transaction_id, status, (SELECT transaction_id FROM fraud_ops.review_cases k WHERE k.case_id = c.merged_into) AS merged_into, claimed_by,
                  transaction_count, total_amount_usd, max_fraud_score FROM fraud_ops.review_cases c ORDER BY transaction_id`,
        )).rows;
      const first = await after();
      expect(first.map((r) => [r.transaction_id, r.status, r.merged_into, r.transaction_count, r.total_amount_usd, r.max_fraud_score])).toEqual([
        ["L-1", "MERGED", "L-2", 1, 10, 55],
        ["L-2", "CLAIMED", null, 3, 60, 70],
        ["L-3", "MERGED", "L-2", 1, 30, 65],
        ["L-4", "DECIDED", null, 1, 40, 60],
        ["L-5", "OPEN", null, 1, 50, 62],
        ["L-6", "OPEN", null, 2, 130, 59],
        ["L-7", "MERGED", "L-6", 1, 70, 59],
      ]);
      // The merged cases' own aggregates are left as they were; their transactions moved.
      const moved = await osql.query<{ transaction_id: string; owner: string }>(
        `SELECT t.transaction_id, c.transaction_id AS owner FROM fraud_ops.case_transactions t JOIN fraud_ops.review_cases c USING (case_id) ORDER BY 1`,
      );
      expect(moved.rows.map((r) => `${r.transaction_id}→${r.owner}`)).toEqual(["L-1→L-2", "L-2→L-2", "L-3→L-2", "L-4→L-4", "L-5→L-5", "L-6→L-6", "L-7→L-6"]);
      const merges = await osql.query<{ n: number }>("SELECT count(*)::int AS n FROM fraud_ops.case_events WHERE action = 'MERGE'");
      expect(merges.rows[0]?.n).toBe(3);
      await osql.exec(m020 ?? "");
      expect(await after()).toEqual(first);
      expect((await osql.query<{ n: number }>("SELECT count(*)::int AS n FROM fraud_ops.case_events WHERE action = 'MERGE'")).rows[0]?.n).toBe(3);
    } finally {
      await old.close();
    }
  }, 120_000);
});
