import { z } from "zod";
import { CardHashSchema, CHANNELS } from "../../core/schemas.js";
import { isoOf, isoOrNull, type SqlQuery } from "../ports/index.js";

// The review queue, read side. A case groups one card's flagged transactions (REVIEW and BLOCKED;
// at most one OPEN or CLAIMED case per card, migration 020); its priority (0..100, from the highest
// score and the total amount) is computed by PostgreSQL, its age and SLA here from the configured
// SLA hours. Intake: case-intake.ts; claim, assign, release, notes and decisions: case-actions.ts.

export const CASE_STATUSES = ["OPEN", "CLAIMED", "DECIDED", "MERGED"] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];
export const CASE_SORTS = ["priority", "age", "score"] as const;
export type CaseSort = (typeof CASE_SORTS)[number];
export const DEFAULT_SLA_HOURS = 24;

/** A principal's name as tokens are named (aggregator/ops/auth.ts). */
/** GET/POST /v1/review/cases/:id. */
export const CaseParamsSchema = z.strictObject({
  id: z.string().regex(/^[1-9]\d{0,15}$/, "a positive integer case id").transform(Number),
});

export const PrincipalNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, "1-64 letters, digits and . _ @ -");

/** One flagged transaction of a case: the case's opening one and each in its list share it. */
const CASE_TRANSACTION_FIELDS = {
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
};

export const ReviewCaseSchema = z.object({
  case_id: z.number().int(),
  card_number_hash: z.string(),
  status: z.enum(CASE_STATUSES),
  priority: z.number().int().describe("0..100: 70 points from max_fraud_score, 30 from total_amount_usd on a log scale (USD 10,000 = 30)"),
  transaction_count: z.number().int(),
  blocked_count: z.number().int().describe("how many of the case's transactions were BLOCKED"),
  max_fraud_score: z.number(),
  total_amount_usd: z.number(),
  last_event_time: z.string(),
  created_at: z.string(),
  age_seconds: z.number().int().describe("from created_at to the decision, or to now while undecided"),
  sla_hours: z.number(),
  sla_due_at: z.string(),
  sla_breached: z.boolean().describe("decided after sla_due_at, or still undecided past it"),
  claimed_by: z.string().nullable().describe("the assignee"),
  claimed_at: z.string().nullable(),
  decision: z.enum(["FRAUD", "LEGIT"]).nullable(),
  decided_by: z.string().nullable(),
  decided_at: z.string().nullable(),
  note: z.string().nullable().describe("the decision's note"),
  merged_into: z.number().int().nullable().describe("MERGED cases: the card's case that took their transactions"),
  transaction_id: z.string().describe("the transaction that opened the case (this and the fields below)"),
  ...CASE_TRANSACTION_FIELDS,
});
export type ReviewCase = z.infer<typeof ReviewCaseSchema>;

export const CaseTransactionSchema = z.object({
  transaction_id: z.string(),
  verdict: z.enum(["REVIEW", "BLOCKED"]),
  ...CASE_TRANSACTION_FIELDS,
  added_at: z.string(),
});
export type CaseTransaction = z.infer<typeof CaseTransactionSchema>;

export const CaseNoteSchema = z.object({ note_id: z.number().int(), author: z.string(), body: z.string(), created_at: z.string() });
export type CaseNote = z.infer<typeof CaseNoteSchema>;

export const CASE_ACTIONS = ["CLAIM", "DECIDE", "ASSIGN", "RELEASE", "NOTE", "MERGE", "ADD_TRANSACTION"] as const;
export const CaseEventSchema = z.object({
  at: z.string(),
  actor: z.string(),
  action: z.enum(CASE_ACTIONS),
  from_status: z.enum(CASE_STATUSES),
  to_status: z.enum(CASE_STATUSES),
  previous_claimed_by: z.string().nullable(),
  assignee: z.string().nullable(),
  transaction_id: z.string().nullable(),
  note_id: z.number().int().nullable(),
  decision: z.enum(["FRAUD", "LEGIT"]).nullable(),
  note: z.string().nullable(),
});
export type CaseEvent = z.infer<typeof CaseEventSchema>;

export const CASE_COLUMNS = `case_id::float8 AS case_id, card_number_hash, status, priority::int AS priority, transaction_count::int AS transaction_count,
  blocked_count::int AS blocked_count, max_fraud_score, total_amount_usd, last_event_time, created_at, claimed_by, claimed_at, decision,
  decided_by, decided_at, note, merged_into::float8 AS merged_into, transaction_id, merchant_id, merchant_category_code, terminal_id,
  channel, region, amount_usd, fraud_score, ml_score, rule_triggers, event_time`;

type TimeField = "last_event_time" | "created_at" | "claimed_at" | "decided_at" | "event_time";
type Derived = "age_seconds" | "sla_hours" | "sla_due_at" | "sla_breached";
export type CaseRow = Omit<ReviewCase, TimeField | Derived> & Record<TimeField, unknown>;

/** How a row is shown: age and SLA depend on when it is read and on the configured SLA. */
export interface CaseClock {
  nowMs: number;
  slaHours: number;
}

const jsonArray = (v: unknown): string[] => (typeof v === "string" ? (JSON.parse(v) as string[]) : (v as string[]));

export function toCase(r: CaseRow, clock: CaseClock): ReviewCase {
  const created = isoOf(r.created_at);
  const decided = isoOrNull(r.decided_at);
  const createdMs = Date.parse(created);
  const endMs = decided === null ? clock.nowMs : Date.parse(decided);
  const dueMs = createdMs + clock.slaHours * 3_600_000;
  return {
    ...r,
    rule_triggers: jsonArray(r.rule_triggers),
    last_event_time: isoOf(r.last_event_time),
    created_at: created,
    age_seconds: Math.max(0, Math.floor((endMs - createdMs) / 1000)),
    sla_hours: clock.slaHours,
    sla_due_at: new Date(dueMs).toISOString(),
    sla_breached: endMs > dueMs,
    claimed_at: isoOrNull(r.claimed_at),
    decided_at: decided,
    event_time: isoOf(r.event_time),
  };
}

export const ListCasesQuerySchema = z.strictObject({
  status: z.enum(CASE_STATUSES).optional().describe("default OPEN, or CLAIMED when assignee is given"),
  assignee: PrincipalNameSchema.optional().describe("cases assigned to (claimed by) this analyst"),
  card_hash: CardHashSchema.optional().describe("the cases of one card"),
  channel: z.enum(CHANNELS).optional().describe("of the opening transaction"),
  min_score: z.coerce.number().min(0).max(100).optional().describe("on max_fraud_score"),
  sort: z.enum(CASE_SORTS).default("priority").describe("priority: highest first; age: oldest first; score: highest max_fraud_score first"),
  cursor: z.string().max(300).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type ListCasesQuery = z.infer<typeof ListCasesQuerySchema>;

/** Keyset cursor: the sort it belongs to, the sort key and the case id of a page's last case. */
export type Cursor = [CaseSort, number | string, number];
const CursorSchema = z.tuple([z.enum(CASE_SORTS), z.union([z.number(), z.string().max(64)]), z.number().int()]);

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString("base64url");
}

/** undefined for anything that is not a cursor of this sort (a cursor of another sort would skip cases). */
export function decodeCursor(s: string, sort: CaseSort): Cursor | undefined {
  try {
    const r = CursorSchema.safeParse(JSON.parse(Buffer.from(s, "base64url").toString("utf8")));
    if (!r.success || r.data[0] !== sort) return undefined;
    if (sort === "age" ? typeof r.data[1] !== "string" || Number.isNaN(Date.parse(r.data[1])) : typeof r.data[1] !== "number") return undefined;
    return r.data;
  } catch {
    return undefined;
  }
}

const SORT_SQL: Record<CaseSort, { col: string; desc: boolean; key: (c: ReviewCase) => number | string }> = {
  priority: { col: "priority", desc: true, key: (c) => c.priority },
  score: { col: "max_fraud_score", desc: true, key: (c) => c.max_fraud_score },
  // Cursors carry milliseconds (ISO text): rows written with a finer now() still page exactly.
  age: { col: "date_trunc('milliseconds', created_at)", desc: false, key: (c) => c.created_at },
};

export async function listCases(sql: SqlQuery, q: ListCasesQuery, after: Cursor | undefined, clock: CaseClock) {
  const status = q.status ?? (q.assignee === undefined ? "OPEN" : "CLAIMED");
  const params: unknown[] = [status];
  const where = ["status = $1"];
  if (q.assignee !== undefined) where.push(`claimed_by = $${params.push(q.assignee)}`);
  if (q.card_hash !== undefined) where.push(`card_number_hash = $${params.push(q.card_hash)}`);
  if (q.channel) where.push(`channel = $${params.push(q.channel)}`);
  if (q.min_score !== undefined) where.push(`max_fraud_score >= $${params.push(q.min_score)}`);
  const s = SORT_SQL[q.sort];
  if (after) {
    const k = params.push(after[1]);
    const id = params.push(after[2]);
    const cast = q.sort === "age" ? "::timestamptz" : "";
    where.push(`(${s.col} ${s.desc ? "<" : ">"} $${k}${cast} OR (${s.col} = $${k}${cast} AND case_id > $${id}))`);
  }
  const limit = params.push(q.limit + 1);
  const { rows } = await sql.query<CaseRow>(
    `SELECT ${CASE_COLUMNS} FROM fraud_ops.review_cases WHERE ${where.join(" AND ")}
      ORDER BY ${s.col} ${s.desc ? "DESC" : "ASC"}, case_id ASC LIMIT $${limit}`,
    params,
  );
  const page = rows.slice(0, q.limit).map((r) => toCase(r, clock));
  const last = page[page.length - 1];
  return { cases: page, next_cursor: rows.length > q.limit && last ? encodeCursor([q.sort, s.key(last), last.case_id]) : null };
}

export async function getCase(sql: SqlQuery, caseId: number, clock: CaseClock): Promise<ReviewCase | undefined> {
  const { rows } = await sql.query<CaseRow>(`SELECT ${CASE_COLUMNS} FROM fraud_ops.review_cases WHERE case_id = $1`, [caseId]);
  return rows[0] ? toCase(rows[0], clock) : undefined;
}

export async function caseTransactions(sql: SqlQuery, caseId: number): Promise<CaseTransaction[]> {
  const { rows } = await sql.query<Omit<CaseTransaction, "event_time" | "added_at"> & { event_time: unknown; added_at: unknown }>(
    `SELECT transaction_id, verdict, merchant_id, merchant_category_code, terminal_id, channel, region, amount_usd, fraud_score,
            ml_score, rule_triggers, event_time, added_at
       FROM fraud_ops.case_transactions WHERE case_id = $1 ORDER BY event_time, transaction_id`,
    [caseId],
  );
  return rows.map((r) => ({ ...r, rule_triggers: jsonArray(r.rule_triggers), event_time: isoOf(r.event_time), added_at: isoOf(r.added_at) }));
}

export async function caseNotes(sql: SqlQuery, caseId: number): Promise<CaseNote[]> {
  const { rows } = await sql.query<Omit<CaseNote, "created_at"> & { created_at: unknown }>(
    "SELECT note_id::float8 AS note_id, author, body, created_at FROM fraud_ops.case_notes WHERE case_id = $1 ORDER BY note_id",
    [caseId],
  );
  return rows.map((r) => ({ ...r, created_at: isoOf(r.created_at) }));
}

export async function caseEvents(sql: SqlQuery, caseId: number): Promise<CaseEvent[]> {
  const { rows } = await sql.query<Omit<CaseEvent, "at"> & { at: unknown }>(
    `SELECT at, actor, action, from_status, to_status, previous_claimed_by, assignee, transaction_id, note_id::float8 AS note_id, decision, note
       FROM fraud_ops.case_events WHERE case_id = $1 ORDER BY event_id`,
    [caseId],
  );
  return rows.map((r) => ({ ...r, at: isoOf(r.at) }));
}
