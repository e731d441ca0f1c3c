import { z } from "zod";
import { AddToListSchema } from "./list-adds.js";
import { writeLabel, type LabelOutcome } from "../risk/labels.js";
import { CASE_COLUMNS, PrincipalNameSchema, toCase, type CaseClock, type CaseRow, type CaseStatus, type ReviewCase } from "./review.js";
import type { OpsSql, SqlQuery } from "../ports/index.js";

// What analysts do to a case: claim, assign, release, annotate, decide. Each runs in one
// transaction that first locks the case row (SELECT … FOR UPDATE), so of any number of analysts
// acting on one case at once each sees the state the previous one left: twenty simultaneous
// claims have exactly one winner, and every audit row names the real previous assignee.

export interface Actor {
  name: string;
  admin: boolean;
}

export type CaseRefusal =
  | "NOT_FOUND"
  | "CLAIMED_BY_OTHER"
  | "ALREADY_DECIDED"
  | "CASE_MERGED"
  | "NOT_CLAIMED"
  | "NOT_CLAIMANT"
  | "ASSIGNEE_CHANGED"
  | "CASE_CHANGED";

export type ActionResult<T = object> = ({ ok: true; case: ReviewCase } & T) | { ok: false; reason: CaseRefusal; case?: ReviewCase };

interface Locked {
  tx: SqlQuery;
  row: CaseRow;
  status: CaseStatus;
  claimedBy: string | null;
  /** Writes an audit row of this case. */
  audit(e: { action: string; to: CaseStatus; assignee?: string | null; note?: string | null; noteId?: number; decision?: string }): Promise<void>;
  /** Re-reads the case after the change. */
  reread(): Promise<CaseRow>;
}

async function withLockedCase<T>(
  sql: OpsSql,
  caseId: number,
  actor: string,
  nowIso: string,
  clock: CaseClock,
  fn: (l: Locked) => Promise<ActionResult<T>>,
): Promise<ActionResult<T>> {
  return sql.transaction(async (tx) => {
    const { rows } = await tx.query<CaseRow>(`SELECT ${CASE_COLUMNS} FROM fraud_ops.review_cases WHERE case_id = $1 FOR UPDATE`, [caseId]);
    const row = rows[0];
    if (!row) return { ok: false, reason: "NOT_FOUND" } as const;
    const l: Locked = {
      tx,
      row,
      status: row.status,
      claimedBy: row.claimed_by,
      audit: async (e) => {
        await tx.query(
          `INSERT INTO fraud_ops.case_events (case_id, at, actor, action, from_status, to_status, previous_claimed_by, assignee, note_id, decision, note)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
          [caseId, nowIso, actor, e.action, row.status, e.to, row.claimed_by, e.assignee ?? null, e.noteId ?? null, e.decision ?? null, e.note ?? null],
        );
      },
      reread: async () => {
        const again = await tx.query<CaseRow>(`SELECT ${CASE_COLUMNS} FROM fraud_ops.review_cases WHERE case_id = $1`, [caseId]);
        const r = again.rows[0];
        if (!r) throw new Error(`case ${caseId} vanished inside its own transaction`);
        return r;
      },
    };
    if (row.status === "DECIDED") return { ok: false, reason: "ALREADY_DECIDED", case: toCase(row, clock) } as const;
    if (row.status === "MERGED") return { ok: false, reason: "CASE_MERGED", case: toCase(row, clock) } as const;
    return fn(l);
  });
}

async function setAssignee(l: Locked, caseId: number, assignee: string | null, nowIso: string): Promise<void> {
  await l.tx.query(
    `UPDATE fraud_ops.review_cases SET status = $2, claimed_by = $3, claimed_at = $4 WHERE case_id = $1`,
    [caseId, assignee === null ? "OPEN" : "CLAIMED", assignee, assignee === null ? null : nowIso],
  );
}

/** Take an OPEN case; taking your own case again is a no-op (no audit row). */
export async function claimCase(sql: OpsSql, caseId: number, who: string, nowIso: string, clock: CaseClock): Promise<ActionResult> {
  return withLockedCase(sql, caseId, who, nowIso, clock, async (l): Promise<ActionResult> => {
    if (l.status === "CLAIMED") {
      return l.claimedBy === who ? { ok: true, case: toCase(l.row, clock) } : { ok: false, reason: "CLAIMED_BY_OTHER", case: toCase(l.row, clock) };
    }
    await setAssignee(l, caseId, who, nowIso);
    await l.audit({ action: "CLAIM", to: "CLAIMED", assignee: who });
    return { ok: true, case: toCase(await l.reread(), clock) };
  });
}

export const AssignRequestSchema = z.strictObject({
  assignee: PrincipalNameSchema.describe("token name of an analyst or admin"),
  expected_assignee: PrincipalNameSchema.nullable()
    .optional()
    .describe("compare-and-set: refuse (409 ASSIGNEE_CHANGED) unless the case is still assigned to this analyst (null: unassigned)"),
});
export type AssignRequest = z.infer<typeof AssignRequestSchema>;

/**
 * Assign or reassign. An admin may assign any undecided case to anyone; an analyst may take an
 * OPEN case (assign it to themself) or hand over a case assigned to them. Assigning to the
 * current assignee is a no-op.
 */
export async function assignCase(sql: OpsSql, caseId: number, actor: Actor, req: AssignRequest, nowIso: string, clock: CaseClock): Promise<ActionResult> {
  return withLockedCase(sql, caseId, actor.name, nowIso, clock, async (l): Promise<ActionResult> => {
    const current = toCase(l.row, clock);
    if (req.expected_assignee !== undefined && l.claimedBy !== req.expected_assignee) return { ok: false, reason: "ASSIGNEE_CHANGED", case: current };
    if (!actor.admin) {
      if (l.status === "CLAIMED" && l.claimedBy !== actor.name) return { ok: false, reason: "CLAIMED_BY_OTHER", case: current };
      if (l.status === "OPEN" && req.assignee !== actor.name) return { ok: false, reason: "NOT_CLAIMANT", case: current };
    }
    if (l.claimedBy === req.assignee) return { ok: true, case: current };
    await setAssignee(l, caseId, req.assignee, nowIso);
    await l.audit({ action: "ASSIGN", to: "CLAIMED", assignee: req.assignee });
    return { ok: true, case: toCase(await l.reread(), clock) };
  });
}

/** Back to the queue: by the assignee or an admin. */
export async function releaseCase(sql: OpsSql, caseId: number, actor: Actor, nowIso: string, clock: CaseClock): Promise<ActionResult> {
  return withLockedCase(sql, caseId, actor.name, nowIso, clock, async (l): Promise<ActionResult> => {
    const current = toCase(l.row, clock);
    if (l.status === "OPEN") return { ok: false, reason: "NOT_CLAIMED", case: current };
    if (l.claimedBy !== actor.name && !actor.admin) return { ok: false, reason: "NOT_CLAIMANT", case: current };
    await setAssignee(l, caseId, null, nowIso);
    await l.audit({ action: "RELEASE", to: "OPEN" });
    return { ok: true, case: toCase(await l.reread(), clock) };
  });
}

export const NoteRequestSchema = z.strictObject({ body: z.string().trim().min(1).max(4000) });

/** Any analyst may annotate an OPEN or CLAIMED case; each note is also an audit row (NOTE). */
export async function addCaseNote(
  sql: OpsSql,
  caseId: number,
  author: string,
  body: string,
  nowIso: string,
  clock: CaseClock,
): Promise<ActionResult<{ note: { note_id: number; author: string; body: string; created_at: string } }>> {
  return withLockedCase(sql, caseId, author, nowIso, clock, async (l) => {
    const { rows } = await l.tx.query<{ note_id: number }>(
      "INSERT INTO fraud_ops.case_notes (case_id, author, body, created_at) VALUES ($1, $2, $3, $4) RETURNING note_id::float8 AS note_id",
      [caseId, author, body, nowIso],
    );
    const noteId = rows[0]?.note_id;
    if (noteId === undefined) throw new Error("note not stored");
    await l.audit({ action: "NOTE", to: l.status, note: body, noteId });
    return { ok: true, case: toCase(l.row, clock), note: { note_id: noteId, author, body, created_at: nowIso } };
  });
}

export const DecisionRequestSchema = z.strictObject({
  decision: z.enum(["FRAUD", "LEGIT"]),
  note: z.string().trim().min(1).max(2000),
  transaction_ids: z
    .array(z.string().min(1).max(64))
    .min(1)
    .max(10_000)
    .optional()
    .describe("the transactions the analyst reviewed: refused (409 CASE_CHANGED) when the case holds others by now"),
  /** Also add the case's card, device, merchant, terminal, IP or BIN to a list, in the same transaction. */
  add_to_list: AddToListSchema.optional(),
});
export type DecisionRequest = z.infer<typeof DecisionRequestSchema>;

export interface DecisionLabels {
  /** The opening transaction's label version (as before cases grouped transactions). */
  label_version: number;
  labels: Array<{ transaction_id: string; outcome: LabelOutcome; version: number }>;
}

/**
 * Only the assignee (or an admin, who may also decide an unassigned case) closes a case. Every
 * transaction of the case gets an audited ANALYST label, in the same transaction as the decision;
 * labels are written in transaction-id order, as feedback batches do, so they cannot deadlock.
 */
export async function decideCase(
  sql: OpsSql,
  caseId: number,
  who: Actor,
  d: DecisionRequest,
  nowIso: string,
  clock: CaseClock,
  /** More writes of the same decision, inside its transaction (a throw rolls the decision back): the lists' add_to_list. */
  also?: (tx: SqlQuery, c: ReviewCase) => Promise<void>,
): Promise<ActionResult<DecisionLabels>> {
  return withLockedCase<DecisionLabels>(sql, caseId, who.name, nowIso, clock, async (l) => {
    const current = toCase(l.row, clock);
    if (l.status === "OPEN" && !who.admin) return { ok: false, reason: "NOT_CLAIMED", case: current };
    if (l.status === "CLAIMED" && l.claimedBy !== who.name && !who.admin) return { ok: false, reason: "NOT_CLAIMANT", case: current };
    const txs = await l.tx.query<{ transaction_id: string }>(
      "SELECT transaction_id FROM fraud_ops.case_transactions WHERE case_id = $1 ORDER BY transaction_id",
      [caseId],
    );
    const ids = txs.rows.map((r) => r.transaction_id);
    if (d.transaction_ids !== undefined && [...new Set(d.transaction_ids)].sort().join("\n") !== ids.join("\n")) {
      return { ok: false, reason: "CASE_CHANGED", case: current };
    }
    await l.tx.query(
      "UPDATE fraud_ops.review_cases SET status = 'DECIDED', decision = $2, decided_by = $3, decided_at = $4, note = $5 WHERE case_id = $1",
      [caseId, d.decision, who.name, nowIso, d.note],
    );
    await l.audit({ action: "DECIDE", to: "DECIDED", decision: d.decision, note: d.note });
    const labels: DecisionLabels["labels"] = [];
    for (const id of ids) {
      const w = await writeLabel(l.tx, { transaction_id: id, is_fraud: d.decision === "FRAUD", source: "ANALYST", note: d.note, actor: who.name, case_id: caseId }, nowIso);
      labels.push({ transaction_id: id, ...w });
    }
    if (also) await also(l.tx, current);
    const opening = labels.find((x) => x.transaction_id === l.row.transaction_id);
    return { ok: true, case: toCase(await l.reread(), clock), label_version: opening?.version ?? 0, labels };
  });
}
