import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgliteSqlClient } from "../stores/sql-client.js";
import { scoredEvent } from "../testing/ops-fixtures.js";
import { applyFeedback, labelHistory } from "../risk/labels.js";
import { buildSnapshot, computeDelta, publishReference } from "../reference/publish.js";
import { decodeCursor, getCase, listCases, ListCasesQuerySchema } from "../cases/review.js";
import { createReviewCases } from "../cases/intake.js";
import { claimCase, decideCase } from "../cases/actions.js";
import { falsePositiveStats, recomputeRisk, RiskConfigSchema } from "../risk/risk.js";
import { insertScoredTransactions } from "./sinks.js";
import { applyOpsMigrations } from "../testing/ops.js";
import type { SqlClient } from "../ports/index.js";
import type { ReferenceDelta, ReferenceTarget } from "../reference/target.js";

const NOW = Date.parse("2026-06-30T12:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString();
const DAY = 86_400_000;
const clock = { nowMs: NOW, slaHours: 24 };

let db: PGlite;
let sql: SqlClient;

beforeAll(async () => {
  db = new PGlite();
  sql = pgliteSqlClient(db);
  await applyOpsMigrations(sql);
  await applyOpsMigrations(sql); // idempotent
}, 180_000);
afterAll(async () => {
  await db.close();
});

describe("review cases", () => {
  it("opens one case per card's flagged verdicts, idempotently, and pages by score", async () => {
    const recs = [
      scoredEvent({ id: "R1", card: "card-r1", verdict: "REVIEW", score: 55, at: iso(NOW - DAY) }),
      scoredEvent({ id: "R2", card: "card-r2", verdict: "REVIEW", score: 75, at: iso(NOW - DAY), channel: "ONLINE" }),
      scoredEvent({ id: "R3", card: "card-r3", verdict: "REVIEW", score: 65, at: iso(NOW - DAY) }),
      scoredEvent({ id: "A1", card: "card-r3", verdict: "APPROVED", at: iso(NOW - DAY) }),
    ];
    expect(await createReviewCases(sql, recs, iso(NOW))).toEqual({ opened: 3, added: 0, unchanged: 0 });
    expect(await createReviewCases(sql, recs, iso(NOW))).toEqual({ opened: 0, added: 0, unchanged: 3 });
    const byScore = (q: Record<string, string>) => ListCasesQuerySchema.parse({ sort: "score", ...q });
    const p1 = await listCases(sql, byScore({ limit: "2" }), undefined, clock);
    expect(p1.cases.map((c) => c.transaction_id)).toEqual(["R2", "R3"]);
    expect(p1.next_cursor).not.toBeNull();
    const p2 = await listCases(sql, byScore({ limit: "2" }), decodeCursor(p1.next_cursor ?? "", "score"), clock);
    expect(p2.cases.map((c) => c.transaction_id)).toEqual(["R1"]);
    expect(p2.next_cursor).toBeNull();
    const online = await listCases(sql, byScore({ channel: "ONLINE" }), undefined, clock);
    expect(online.cases.map((c) => c.transaction_id)).toEqual(["R2"]);
    const hi = await listCases(sql, byScore({ min_score: "60" }), undefined, clock);
    expect(hi.cases.map((c) => c.transaction_id)).toEqual(["R2", "R3"]);
    expect(decodeCursor("garbage", "score")).toBeUndefined();
    expect(decodeCursor(p1.next_cursor ?? "", "age")).toBeUndefined();
  });

  it("claims atomically and lets only the claimant (or an admin) decide, with an audited label", async () => {
    const c = (await listCases(sql, ListCasesQuerySchema.parse({ sort: "score" }), undefined, clock)).cases[0];
    if (!c) throw new Error("no case");
    const [a, b] = await Promise.all([claimCase(sql, c.case_id, "alice", iso(NOW), clock), claimCase(sql, c.case_id, "bob", iso(NOW), clock)]);
    const winners = [a, b].filter((r) => r.ok);
    expect(winners).toHaveLength(1);
    const claims = await sql.query<{ n: number }>("SELECT count(*)::int AS n FROM fraud_ops.case_events WHERE case_id = $1 AND action = 'CLAIM'", [c.case_id]);
    expect(claims.rows[0]?.n).toBe(1);
    const winner = a.ok ? "alice" : "bob";
    const loser = a.ok ? "bob" : "alice";
    expect(await claimCase(sql, c.case_id, winner, iso(NOW), clock)).toMatchObject({ ok: true });
    expect(await claimCase(sql, c.case_id, loser, iso(NOW), clock)).toMatchObject({ ok: false, reason: "CLAIMED_BY_OTHER" });

    const d = { decision: "LEGIT" as const, note: "customer confirmed" };
    expect(await decideCase(sql, c.case_id, { name: loser, admin: false }, d, iso(NOW), clock)).toMatchObject({ ok: false, reason: "NOT_CLAIMANT" });
    const ok = await decideCase(sql, c.case_id, { name: winner, admin: false }, d, iso(NOW + 1000), clock);
    expect(ok).toMatchObject({ ok: true, label_version: 1, case: { status: "DECIDED", decision: "LEGIT", decided_by: winner } });
    expect(await decideCase(sql, c.case_id, { name: winner, admin: false }, d, iso(NOW), clock)).toMatchObject({ ok: false, reason: "ALREADY_DECIDED" });
    expect(await claimCase(sql, c.case_id, loser, iso(NOW), clock)).toMatchObject({ ok: false, reason: "ALREADY_DECIDED" });
    const hist = await labelHistory(sql, c.transaction_id);
    expect(hist).toEqual([
      expect.objectContaining({ version: 1, is_fraud: false, source: "ANALYST", actor: winner, note: "customer confirmed", case_id: c.case_id, previous_is_fraud: null }),
    ]);

    const open = (await listCases(sql, ListCasesQuerySchema.parse({}), undefined, clock)).cases[0];
    if (!open) throw new Error("no open case");
    expect(await decideCase(sql, open.case_id, { name: "carol", admin: false }, d, iso(NOW), clock)).toMatchObject({ ok: false, reason: "NOT_CLAIMED" });
    expect(await decideCase(sql, open.case_id, { name: "root", admin: true }, { decision: "FRAUD", note: "n" }, iso(NOW), clock)).toMatchObject({ ok: true });
    expect(await claimCase(sql, 999_999, "alice", iso(NOW), clock)).toMatchObject({ ok: false, reason: "NOT_FOUND" });
    expect((await getCase(sql, open.case_id, clock))?.decision).toBe("FRAUD");
  });
});

describe("feedback labels", () => {
  it("is idempotent and versions changes with the previous value", async () => {
    const r1 = await applyFeedback(sql, [{ transaction_id: "L1", is_fraud: true, source: "CHARGEBACK" }, { transaction_id: "L2", is_fraud: false, source: "CUSTOMER" }], "ops-bot", iso(NOW));
    expect(r1).toMatchObject({ created: 2, updated: 0, unchanged: 0 });
    const r2 = await applyFeedback(sql, [{ transaction_id: "L1", is_fraud: true, source: "CHARGEBACK" }], "ops-bot", iso(NOW + 1));
    expect(r2).toMatchObject({ created: 0, updated: 0, unchanged: 1 });
    const r3 = await applyFeedback(sql, [{ transaction_id: "L1", is_fraud: false, source: "ANALYST", note: "reversed" }], "alice", iso(NOW + 2));
    expect(r3.results).toEqual([{ transaction_id: "L1", outcome: "UPDATED", version: 2 }]);
    const h = await labelHistory(sql, "L1");
    expect(h.map((x) => [x.version, x.is_fraud, x.source, x.actor, x.previous_is_fraud, x.previous_source])).toEqual([
      [1, true, "CHARGEBACK", "ops-bot", null, null],
      [2, false, "ANALYST", "alice", true, "CHARGEBACK"],
    ]);
  });
});

describe("risk recomputation and publishing", () => {
  it("computes smoothed merchant/terminal risk over matured transactions, card tiers and the false-positive rate", async () => {
    const recs = [];
    // MCH-BAD: 10 matured transactions, 5 labelled fraud; MCH-OK: 10 matured, none fraud.
    for (let i = 0; i < 10; i++) {
      recs.push(scoredEvent({ id: `B${i}`, merchant: "MCH-BAD", terminal: "T-BAD", card: `card-b-${i}`, verdict: i < 6 ? "BLOCKED" : "APPROVED", at: iso(NOW - 20 * DAY) }));
      recs.push(scoredEvent({ id: `G${i}`, merchant: "MCH-OK", terminal: "T-OK", card: `card-g-${i}`, at: iso(NOW - 20 * DAY) }));
    }
    // Young transaction with a fraud label: ignored by the 7-day label delay.
    recs.push(scoredEvent({ id: "Y1", merchant: "MCH-YOUNG", card: "card-y-1", at: iso(NOW - 2 * DAY) }));
    // Old (outside the 30-day window after the delay).
    recs.push(scoredEvent({ id: "O1", merchant: "MCH-OLD", card: "card-o-1", at: iso(NOW - 60 * DAY) }));
    await insertScoredTransactions(sql, recs);
    await insertScoredTransactions(sql, recs); // re-delivery
    const labels = [0, 1, 2, 3, 4].map((i) => ({ transaction_id: `B${i}`, is_fraud: true, source: "CHARGEBACK" as const }));
    labels.push({ transaction_id: "B5", is_fraud: false, source: "CHARGEBACK" }, { transaction_id: "Y1", is_fraud: true, source: "CHARGEBACK" });
    await applyFeedback(sql, labels, "test", iso(NOW));

    const cfg = RiskConfigSchema.parse({ windowDays: 30, labelDelayDays: 7, smoothingWeight: 10 });
    const r = await recomputeRisk(sql, NOW, cfg);
    expect(r.prior).toBeCloseTo(5 / 20);
    const { rows } = await sql.query<{ kind: string; entity_id: string; tx_count: number; fraud_count: number; risk: number }>(
      "SELECT kind, entity_id, tx_count, fraud_count, risk FROM fraud_ops.entity_risk ORDER BY kind, entity_id",
    );
    const byId = Object.fromEntries(rows.map((x) => [`${x.kind}:${x.entity_id}`, x]));
    expect(byId["merchant:MCH-BAD"]).toMatchObject({ tx_count: 10, fraud_count: 5 });
    expect(byId["merchant:MCH-BAD"]?.risk).toBeCloseTo((5 + 10 * 0.25) / 20);
    expect(byId["merchant:MCH-OK"]?.risk).toBeCloseTo((0 + 10 * 0.25) / 20);
    expect(byId["terminal:T-BAD"]?.risk).toBeCloseTo((5 + 10 * 0.25) / 20);
    expect(byId["merchant:MCH-YOUNG"]).toBeUndefined();
    expect(byId["merchant:MCH-OLD"]).toBeUndefined();

    const tiers = await sql.query<{ card_number_hash: string; tier: string }>("SELECT card_number_hash, tier FROM fraud_ops.card_risk ORDER BY 1");
    const tierOf = Object.fromEntries(tiers.rows.map((t) => [t.card_number_hash, t.tier]));
    expect(tierOf["card-b-0"]).toBe("HIGH");
    expect(tierOf["card-y-1"]).toBe("HIGH"); // fraud evidence counts at once for cards
    expect(tierOf["card-g-0"]).toBeUndefined();

    // Flagged B0..B5 on that date: labelled 6, legit 1.
    const fp = await falsePositiveStats(sql, iso(NOW - 20 * DAY).slice(0, 10));
    expect(fp.get("5411")).toEqual({ merchant_category: "5411", flagged_labelled: 6, flagged_legit: 1, false_positive_rate: 1 / 6 });
  });

  it("publishes only differences, and only records them once the target accepted them", async () => {
    const applied: ReferenceDelta[] = [];
    const ok: ReferenceTarget = { name: "mem", apply: async (p) => void ("risk" in p && applied.push(p.risk)) };
    const failing: ReferenceTarget = { name: "down", apply: () => Promise.reject(new Error("unreachable")) };
    await expect(publishReference(sql, failing, iso(NOW))).rejects.toThrow("unreachable");
    const first = await publishReference(sql, ok, iso(NOW));
    expect(first.changes).toBeGreaterThan(0);
    expect(applied[0]?.set.merchant["MCH-BAD"]).toBe(String(Math.round(((5 + 2.5) / 20) * 1e6) / 1e6));
    expect(applied[0]?.set.card_tier["card-b-0"]).toBe("HIGH");
    const again = await publishReference(sql, ok, iso(NOW));
    expect(again).toMatchObject({ changes: 0, version: first.version });
    expect((await computeDelta(sql)).changes).toBe(0);

    // MCH-BAD's transactions age out of the window: its entry is deleted at the edge.
    await recomputeRisk(sql, NOW + 40 * DAY, RiskConfigSchema.parse({ windowDays: 30, labelDelayDays: 7 }));
    const third = await publishReference(sql, ok, iso(NOW));
    expect(applied[1]?.del.merchant).toContain("MCH-BAD");
    expect(third.version).toBe(first.version + 1);

    const snap = await buildSnapshot(sql, async () => ({ version: 5, bins: ["411111"], merchant_risk: { "MCH-SEED": 0.3 } }));
    expect(snap.version).toBe(5 + third.version);
    expect(snap.bins).toEqual(["411111"]);
    expect(snap.merchant_risk["MCH-SEED"]).toBe(0.3);
    expect(snap.merchant_risk["MCH-BAD"]).toBeUndefined();
  });
});

describe("ops sinks", () => {
  const msg = (value: unknown, offset: number) => ({ key: "k", value: value as never, position: { topic: "fraud-verdicts", partition: 0, offset: String(offset) } });
  it("opens cases from flagged fraud-verdicts idempotently, skips APPROVED, and refuses a poison message before writing", async () => {
    const { createReviewCaseSink, createRiskFactsSink } = await import("./sinks.js");
    const { envelope } = await import("../bus/envelope.js");
    const rec = scoredEvent({ id: "SINK-1", card: "card-sink-1", verdict: "REVIEW", at: iso(NOW) });
    const blocked = scoredEvent({ id: "SINK-B", card: "card-sink-b", verdict: "BLOCKED", at: iso(NOW) });
    const approved = scoredEvent({ id: "SINK-A", card: "card-sink-a", at: iso(NOW) });
    const sink = createReviewCaseSink(sql, () => NOW);
    const batch = { topic: "fraud-verdicts", partition: 0, messages: [msg(envelope("vigil.scored-event", rec, iso(NOW)), 1), msg(envelope("vigil.scored-event", approved, iso(NOW)), 2), msg(envelope("vigil.scored-event", blocked, iso(NOW)), 3)] };
    await sink(batch);
    await sink(batch);
    const n = await sql.query<{ transaction_id: string; n: number }>(
      "SELECT transaction_id, count(*)::int AS n FROM fraud_ops.case_transactions WHERE transaction_id LIKE 'SINK-%' GROUP BY 1 ORDER BY 1",
    );
    expect(n.rows).toEqual([{ transaction_id: "SINK-1", n: 1 }, { transaction_id: "SINK-B", n: 1 }]);
    const rec2 = scoredEvent({ id: "SINK-2", card: "card-sink-2", verdict: "REVIEW", at: iso(NOW) });
    const poison = { schema: "vigil.scored-event", schema_version: 9, produced_at: iso(NOW), payload: {} };
    await expect(sink({ topic: "fraud-verdicts", partition: 0, messages: [msg(envelope("vigil.scored-event", approved, iso(NOW)), 4), msg(envelope("vigil.scored-event", rec2, iso(NOW)), 5), msg(poison, 6)] })).rejects.toMatchObject({ name: "PoisonMessageError", index: 2, retriable: false });
    const n2 = await sql.query<{ n: number }>("SELECT count(*)::int AS n FROM fraud_ops.review_cases WHERE transaction_id = 'SINK-2'");
    expect(n2.rows[0]?.n).toBe(0);
    await createRiskFactsSink(sql)({ topic: "fraud-verdicts", partition: 0, messages: [msg(envelope("vigil.scored-event", rec2, iso(NOW)), 4)] });
    const f = await sql.query<{ verdict: string }>("SELECT verdict FROM fraud_ops.scored_transactions WHERE transaction_id = 'SINK-2'");
    expect(f.rows).toEqual([{ verdict: "REVIEW" }]);
  });
});
