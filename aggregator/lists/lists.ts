import { z } from "zod";
import { LIST_NAMES, ListNameSchema, listValueProblem, parseListName, type ListName } from "../../core/contracts/lists.js";
import { containsCardNumber } from "../../core/pan-guard.js";
import type { FieldIssue } from "../../core/schemas.js";
import { isoOf, isoOrNull, type OpsSql, type SqlQuery } from "../ports/index.js";

// Allow and block list entries (fraud_ops.list_entries, migration 019). Writing the same entry
// again changes nothing; a new reason or expiry is an audited UPDATE; every change is a row of
// fraud_ops.list_events with actor, time, source and the previous values. Publishing to the edge:
// lists-publish.ts (through the reference data); precedence at the edge: core/lists.ts.

export const MAX_LIST_BATCH = 1000;
const PAN_MESSAGE = "looks like a card number: Vigil stores card hashes only";

export const ListParamsSchema = z.strictObject({ list: ListNameSchema });

export const ListEntryInputSchema = z.strictObject({
  value: z.string().trim().min(1).max(128),
  reason: z.string().trim().min(1).max(500),
  /** ISO date-time with offset; absent or null = never expires. Must lie in the future. */
  expires_at: z.iso.datetime({ offset: true }).nullable().optional(),
});
export type ListEntryInput = z.infer<typeof ListEntryInputSchema>;

export const ListBatchSchema = z.strictObject({ entries: z.array(ListEntryInputSchema).min(1).max(MAX_LIST_BATCH) });
/** POST body: one entry, or `{entries: [...]}` (≤ MAX_LIST_BATCH). */
export const ListWriteRequestSchema = z.union([ListEntryInputSchema, ListBatchSchema]);

export const ListQuerySchema = z.strictObject({
  value: z.string().min(1).max(128).optional(),
  include_expired: z.enum(["true", "false"]).default("false"),
  /** The last value of the previous page. */
  cursor: z.string().min(1).max(128).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export const ListDeleteQuerySchema = z.strictObject({ value: z.string().min(1).max(128) });

export const ListEntrySchema = z.object({
  list: z.enum(LIST_NAMES as [ListName, ...ListName[]]),
  value: z.string(),
  reason: z.string(),
  author: z.string(),
  created_at: z.string(),
  updated_by: z.string(),
  updated_at: z.string(),
  expires_at: z.string().nullable(),
  expired: z.boolean(),
});
export type ListEntry = z.infer<typeof ListEntrySchema>;
export const ListWriteResponseSchema = z.object({
  list: z.string(),
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  entries: z.array(ListEntrySchema),
});
export const ListPageResponseSchema = z.object({ list: z.string(), entries: z.array(ListEntrySchema), next_cursor: z.string().nullable() });
export const ListDeleteResponseSchema = z.object({ list: z.string(), deleted: ListEntrySchema });

/** Checks that need the list's kind and the clock: key shape, card numbers, expiry in the future. */
export function checkEntries(list: ListName, entries: readonly ListEntryInput[], nowMs: number, prefix: (i: number) => string): FieldIssue[] {
  const { kind } = parseListName(list);
  const issues: FieldIssue[] = [];
  const seen = new Map<string, number>();
  entries.forEach((e, i) => {
    const p = prefix(i);
    if (containsCardNumber(e.value)) issues.push({ path: `${p}value`, message: PAN_MESSAGE });
    else {
      const problem = listValueProblem(kind, e.value);
      if (problem) issues.push({ path: `${p}value`, message: `not a ${kind} key: ${problem}` });
    }
    if (containsCardNumber(e.reason)) issues.push({ path: `${p}reason`, message: PAN_MESSAGE });
    if (e.expires_at && Date.parse(e.expires_at) <= nowMs) issues.push({ path: `${p}expires_at`, message: "must lie in the future" });
    const first = seen.get(e.value);
    if (first !== undefined) issues.push({ path: `${p}value`, message: `duplicate of ${prefix(first)}value` });
    else seen.set(e.value, i);
  });
  return issues;
}

type Row = { list: ListName; value: string; reason: string; author: string; created_at: unknown; updated_by: string; updated_at: unknown; expires_at: unknown };
const COLUMNS = "list, value, reason, author, created_at, updated_by, updated_at, expires_at";

function toEntry(r: Row, nowMs: number): ListEntry {
  const expires = isoOrNull(r.expires_at);
  return {
    list: r.list, value: r.value, reason: r.reason, author: r.author, created_at: isoOf(r.created_at),
    updated_by: r.updated_by, updated_at: isoOf(r.updated_at), expires_at: expires,
    expired: expires !== null && Date.parse(expires) <= nowMs,
  };
}

export type WriteOutcome = "CREATED" | "UPDATED" | "UNCHANGED";
export interface ListActor {
  name: string;
  /** Where the change came from: api, import, case:<id>. */
  source: string;
}

/** Writes one entry inside the caller's transaction (row lock on an existing entry). */
export async function writeListEntry(tx: SqlQuery, list: ListName, e: ListEntryInput, who: ListActor, nowIso: string): Promise<{ outcome: WriteOutcome; entry: ListEntry }> {
  const nowMs = Date.parse(nowIso);
  const expires = e.expires_at ? new Date(e.expires_at).toISOString() : null;
  const ins = await tx.query<Row>(
    `INSERT INTO fraud_ops.list_entries (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $4, $5, $6)
     ON CONFLICT (list, value) DO NOTHING RETURNING ${COLUMNS}`,
    [list, e.value, e.reason, who.name, nowIso, expires],
  );
  if (ins.rows[0]) {
    await event(tx, list, e.value, "ADD", who, nowIso, e.reason, expires, null, null);
    return { outcome: "CREATED", entry: toEntry(ins.rows[0], nowMs) };
  }
  const cur = (await tx.query<Row>(`SELECT ${COLUMNS} FROM fraud_ops.list_entries WHERE list = $1 AND value = $2 FOR UPDATE`, [list, e.value])).rows[0];
  if (!cur) throw new Error(`list entry ${list}/${e.value} vanished inside its own transaction`);
  const curExpires = isoOrNull(cur.expires_at);
  if (cur.reason === e.reason && curExpires === expires) return { outcome: "UNCHANGED", entry: toEntry(cur, nowMs) };
  const upd = await tx.query<Row>(
    `UPDATE fraud_ops.list_entries SET reason = $3, expires_at = $4, updated_by = $5, updated_at = $6
      WHERE list = $1 AND value = $2 RETURNING ${COLUMNS}`,
    [list, e.value, e.reason, expires, who.name, nowIso],
  );
  await event(tx, list, e.value, "UPDATE", who, nowIso, e.reason, expires, cur.reason, curExpires);
  return { outcome: "UPDATED", entry: toEntry(upd.rows[0] as Row, nowMs) };
}

async function event(
  tx: SqlQuery, list: string, value: string, action: "ADD" | "UPDATE" | "DELETE", who: ListActor, at: string,
  reason: string | null, expires: string | null, prevReason: string | null, prevExpires: string | null,
): Promise<void> {
  await tx.query(
    `INSERT INTO fraud_ops.list_events (list, value, action, actor, at, source, reason, expires_at, previous_reason, previous_expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [list, value, action, who.name, at, who.source, reason, expires, prevReason, prevExpires],
  );
}

export interface WriteSummary {
  list: ListName;
  created: number;
  updated: number;
  unchanged: number;
  entries: ListEntry[];
}

/** All entries in one transaction: a batch is applied whole or not at all. */
export async function writeListEntries(sql: OpsSql, list: ListName, entries: readonly ListEntryInput[], who: ListActor, nowIso: string): Promise<WriteSummary> {
  return sql.transaction(async (tx) => {
    const out: WriteSummary = { list, created: 0, updated: 0, unchanged: 0, entries: [] };
    for (const e of entries) {
      const r = await writeListEntry(tx, list, e, who, nowIso);
      if (r.outcome === "CREATED") out.created++;
      else if (r.outcome === "UPDATED") out.updated++;
      else out.unchanged++;
      out.entries.push(r.entry);
    }
    return out;
  });
}

export async function listEntries(sql: SqlQuery, list: ListName, q: z.infer<typeof ListQuerySchema>, nowIso: string) {
  const params: unknown[] = [list];
  const where = ["list = $1"];
  if (q.value !== undefined) where.push(`value = $${params.push(q.value)}`);
  if (q.include_expired !== "true") where.push(`(expires_at IS NULL OR expires_at > $${params.push(nowIso)}::timestamptz)`);
  if (q.cursor !== undefined) where.push(`value > $${params.push(q.cursor)}`);
  const limit = params.push(q.limit + 1);
  const { rows } = await sql.query<Row>(`SELECT ${COLUMNS} FROM fraud_ops.list_entries WHERE ${where.join(" AND ")} ORDER BY value LIMIT $${limit}`, params);
  const nowMs = Date.parse(nowIso);
  const page = rows.slice(0, q.limit).map((r) => toEntry(r, nowMs));
  const last = page[page.length - 1];
  return { list, entries: page, next_cursor: rows.length > q.limit && last ? last.value : null };
}

export async function deleteListEntry(sql: OpsSql, list: ListName, value: string, who: ListActor, nowIso: string): Promise<ListEntry | undefined> {
  return sql.transaction(async (tx) => {
    const { rows } = await tx.query<Row>(`DELETE FROM fraud_ops.list_entries WHERE list = $1 AND value = $2 RETURNING ${COLUMNS}`, [list, value]);
    const gone = rows[0];
    if (!gone) return undefined;
    const entry = toEntry(gone, Date.parse(nowIso));
    await event(tx, list, value, "DELETE", who, nowIso, null, null, entry.reason, entry.expires_at);
    return entry;
  });
}

export interface ListEvent {
  at: string;
  actor: string;
  action: "ADD" | "UPDATE" | "DELETE";
  source: string;
  reason: string | null;
  expires_at: string | null;
  previous_reason: string | null;
  previous_expires_at: string | null;
}

/** The audit trail of one entry, oldest first. */
export async function listEventsOf(sql: SqlQuery, list: ListName, value: string): Promise<ListEvent[]> {
  const { rows } = await sql.query<Omit<ListEvent, "at" | "expires_at" | "previous_expires_at"> & Record<"at" | "expires_at" | "previous_expires_at", unknown>>(
    `SELECT at, actor, action, source, reason, expires_at, previous_reason, previous_expires_at
       FROM fraud_ops.list_events WHERE list = $1 AND value = $2 ORDER BY event_id`,
    [list, value],
  );
  return rows.map((r) => ({ ...r, at: isoOf(r.at), expires_at: isoOrNull(r.expires_at), previous_expires_at: isoOrNull(r.previous_expires_at) }));
}
