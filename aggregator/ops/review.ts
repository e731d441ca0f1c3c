import { z } from "zod";
import { CHANNELS, type ScoredEvent } from "../../core/schemas.js";
import { writeLabel } from "./labels.js";
import { AddToListSchema } from "./case-lists.js";
import { isoOf, isoOrNull, type OpsSql, type SqlQuery } from "./sql.js";

// The review queue: one case per REVIEW verdict. Claiming is one conditional UPDATE (atomic);
// a decision locks the case row, closes it and writes an audited ANALYST label in one transaction.

export const CASE_STATUSES = ["OPEN", "CLAIMED", "DECIDED"] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

export const ReviewCaseSchema = z.object({
  case_id: z.number().int(),
  transaction_id: z.string(),
  card_number_hash: z.string(),
  merchant_id: z.string(),
  merchant_category_code: z.string(),
  terminal_id: z.string().nullable(),
  channel: z.enum(CHANNELS),
  region: z.string(),
  amount_usd: z.number(),
  fraud_score: z.number(),
  ml_score: z.number(),
  rule_triggers: z.array(z.string()),
  event_time: z.string(),
  created_at: z.string(),
  status: z.enum(CASE_STATUSES),
  claimed_by: z.string().nullable(),
  claimed_at: z.string().nullable(),
  decision: z.enum(["FRAUD", "LEGIT"]).nullable(),
  decided_by: z.string().nullable(),
  decided_at: z.string().nullable(),
  note: z.string().nullable(),
});
export type ReviewCase = z.infer<typeof ReviewCaseSchema>;

const COLUMNS = `case_id::float8 AS case_id, transaction_id, card_number_hash, merchant_id, merchant_category_code,
  terminal_id, channel, region, amount_usd, fraud_score, ml_score, rule_triggers, event_time, created_at, status,
  claimed_by, claimed_at, decision, decided_by, decided_at, note`;

type Row = Omit<ReviewCase, "event_time" | "created_at" | "claimed_at" | "decided_at"> & Record<"event_time" | "created_at" | "claimed_at" | "decided_at", unknown>;

function toCase(r: Row): ReviewCase {
  return {
    ...r,
    rule_triggers: typeof r.rule_triggers === "string" ? (JSON.parse(r.rule_triggers) as string[]) : r.rule_triggers,
    event_time: isoOf(r.event_time),
    created_at: isoOf(r.created_at),
    claimed_at: isoOrNull(r.claimed_at),
    decided_at: isoOrNull(r.decided_at),
  };
}

/** Idempotent per transaction: a re-delivered REVIEW verdict leaves the existing case as it is. */
export async function createReviewCases(sql: SqlQuery, records: ScoredEvent[], nowIso: string): Promise<number> {
  let created = 0;
  for (const r of records) {
    if (r.verdict.verdict !== "REVIEW") continue;
    const e = r.event;
    const { rows } = await sql.query<{ case_id: number }>(
      `INSERT INTO fraud_ops.review_cases (transaction_id, card_number_hash, merchant_id, merchant_category_code,
         terminal_id, channel, region, amount_usd, fraud_score, ml_score, rule_triggers, reasons, event_time, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12::jsonb, $13, $14)
       ON CONFLICT (transaction_id) DO NOTHING RETURNING case_id::float8 AS case_id`,
      [
        e.transaction_id, e.card_number_hash, e.merchant_id, e.merchant_category_code, e.terminal_id ?? null, e.channel, r.region,
        e.amount_usd, r.verdict.fraud_score, r.verdict.ml_score, JSON.stringify(r.verdict.rule_triggers),
        JSON.stringify(r.verdict.reasons), e.timestamp_utc, nowIso,
      ],
    );
    created += rows.length;
  }
  return created;
}

export const ListCasesQuerySchema = z.strictObject({
  status: z.enum(CASE_STATUSES).default("OPEN"),
  channel: z.enum(CHANNELS).optional(),
  min_score: z.coerce.number().min(0).max(100).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type ListCasesQuery = z.infer<typeof ListCasesQuerySchema>;

const CursorSchema = z.tuple([z.number(), z.number().int()]);

/** Opaque keyset cursor: the (fraud_score, case_id) of the last case of the page. */
export function encodeCursor(score: number, caseId: number): string {
  return Buffer.from(JSON.stringify([score, caseId])).toString("base64url");
}

export function decodeCursor(s: string): [number, number] | undefined {
  try {
    const r = CursorSchema.safeParse(JSON.parse(Buffer.from(s, "base64url").toString("utf8")));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

export async function listCases(sql: SqlQuery, q: ListCasesQuery, after: [number, number] | undefined) {
  const params: unknown[] = [q.status];
  const where = ["status = $1"];
  if (q.channel) where.push(`channel = $${params.push(q.channel)}`);
  if (q.min_score !== undefined) where.push(`fraud_score >= $${params.push(q.min_score)}`);
  if (after) {
    const s = params.push(after[0]);
    const id = params.push(after[1]);
    where.push(`(fraud_score < $${s} OR (fraud_score = $${s} AND case_id > $${id}))`);
  }
  const limit = params.push(q.limit + 1);
  const { rows } = await sql.query<Row>(
    `SELECT ${COLUMNS} FROM fraud_ops.review_cases WHERE ${where.join(" AND ")}
      ORDER BY fraud_score DESC, case_id ASC LIMIT $${limit}`,
    params,
  );
  const page = rows.slice(0, q.limit).map(toCase);
  const last = page[page.length - 1];
  return { cases: page, next_cursor: rows.length > q.limit && last ? encodeCursor(last.fraud_score, last.case_id) : null };
}

export async function getCase(sql: SqlQuery, caseId: number): Promise<ReviewCase | undefined> {
  const { rows } = await sql.query<Row>(`SELECT ${COLUMNS} FROM fraud_ops.review_cases WHERE case_id = $1`, [caseId]);
  return rows[0] ? toCase(rows[0]) : undefined;
}

export type ClaimResult = { ok: true; case: ReviewCase } | { ok: false; reason: "NOT_FOUND" | "CLAIMED_BY_OTHER" | "ALREADY_DECIDED"; case?: ReviewCase };

/** One conditional UPDATE: of two analysts claiming at once exactly one wins; re-claiming your own case is a no-op. */
export async function claimCase(sql: SqlQuery, caseId: number, who: string, nowIso: string): Promise<ClaimResult> {
  // One statement: the event is written only by the claim that moved the case out of OPEN.
  const { rows } = await sql.query<Row>(
    `WITH prev AS (SELECT status FROM fraud_ops.review_cases WHERE case_id = $1),
     upd AS (
       UPDATE fraud_ops.review_cases SET status = 'CLAIMED', claimed_by = $2,
              claimed_at = CASE WHEN status = 'CLAIMED' THEN claimed_at ELSE $3::timestamptz END
        WHERE case_id = $1 AND (status = 'OPEN' OR (status = 'CLAIMED' AND claimed_by = $2))
        RETURNING *),
     ev AS (
       INSERT INTO fraud_ops.case_events (case_id, at, actor, action, from_status, to_status)
       SELECT upd.case_id, $3::timestamptz, $2, 'CLAIM', prev.status, 'CLAIMED' FROM upd, prev WHERE prev.status = 'OPEN')
     SELECT ${COLUMNS} FROM upd`,
    [caseId, who, nowIso],
  );
  if (rows[0]) return { ok: true, case: toCase(rows[0]) };
  const current = await getCase(sql, caseId);
  if (!current) return { ok: false, reason: "NOT_FOUND" };
  return { ok: false, reason: current.status === "DECIDED" ? "ALREADY_DECIDED" : "CLAIMED_BY_OTHER", case: current };
}

export const DecisionRequestSchema = z.strictObject({
  decision: z.enum(["FRAUD", "LEGIT"]),
  note: z.string().trim().min(1).max(2000),
  /** Also add the case's card, device, merchant, terminal, IP or BIN to a list, in the same transaction. */
  add_to_list: AddToListSchema.optional(),
});
export type DecisionRequest = z.infer<typeof DecisionRequestSchema>;

export type DecideResult =
  | { ok: true; case: ReviewCase; label_version: number }
  | { ok: false; reason: "NOT_FOUND" | "NOT_CLAIMANT" | "NOT_CLAIMED" | "ALREADY_DECIDED"; case?: ReviewCase };

/** Only the claimant (or an admin, who may also decide an unclaimed case) closes a case. */
export async function decideCase(
  sql: OpsSql,
  caseId: number,
  who: { name: string; admin: boolean },
  d: DecisionRequest,
  nowIso: string,
  /** More writes of the same decision, inside its transaction (a throw rolls the decision back). */
  also?: (tx: SqlQuery, c: ReviewCase) => Promise<void>,
): Promise<DecideResult> {
  return sql.transaction(async (tx) => {
    const { rows } = await tx.query<Row>(`SELECT ${COLUMNS} FROM fraud_ops.review_cases WHERE case_id = $1 FOR UPDATE`, [caseId]);
    const row = rows[0];
    if (!row) return { ok: false, reason: "NOT_FOUND" } as const;
    const c = toCase(row);
    if (c.status === "DECIDED") return { ok: false, reason: "ALREADY_DECIDED", case: c } as const;
    if (c.status === "OPEN" && !who.admin) return { ok: false, reason: "NOT_CLAIMED", case: c } as const;
    if (c.status === "CLAIMED" && c.claimed_by !== who.name && !who.admin) return { ok: false, reason: "NOT_CLAIMANT", case: c } as const;
    const upd = await tx.query<Row>(
      `UPDATE fraud_ops.review_cases SET status = 'DECIDED', decision = $2, decided_by = $3, decided_at = $4, note = $5
        WHERE case_id = $1 RETURNING ${COLUMNS}`,
      [caseId, d.decision, who.name, nowIso, d.note],
    );
    await tx.query(
      `INSERT INTO fraud_ops.case_events (case_id, at, actor, action, from_status, to_status, previous_claimed_by, decision, note)
       VALUES ($1, $2, $3, 'DECIDE', $4, 'DECIDED', $5, $6, $7)`,
      [caseId, nowIso, who.name, c.status, c.claimed_by, d.decision, d.note],
    );
    const label = await writeLabel(
      tx,
      { transaction_id: c.transaction_id, is_fraud: d.decision === "FRAUD", source: "ANALYST", note: d.note, actor: who.name, case_id: caseId },
      nowIso,
    );
    const updated = upd.rows[0];
    if (!updated) throw new Error(`case ${caseId} vanished inside its own transaction`);
    if (also) await also(tx, c);
    return { ok: true, case: toCase(updated), label_version: label.version } as const;
  });
}

export interface CaseEvent {
  at: string;
  actor: string;
  action: "CLAIM" | "DECIDE";
  from_status: CaseStatus;
  to_status: CaseStatus;
  previous_claimed_by: string | null;
  decision: "FRAUD" | "LEGIT" | null;
  note: string | null;
}

export async function caseEvents(sql: SqlQuery, caseId: number): Promise<CaseEvent[]> {
  const { rows } = await sql.query<Omit<CaseEvent, "at"> & { at: unknown }>(
    `SELECT at, actor, action, from_status, to_status, previous_claimed_by, decision, note
       FROM fraud_ops.case_events WHERE case_id = $1 ORDER BY event_id`,
    [caseId],
  );
  return rows.map((r) => ({ ...r, at: isoOf(r.at) }));
}
