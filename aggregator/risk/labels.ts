import { z } from "zod";
import type { OpsSql, SqlQuery } from "../ports/index.js";

// Labels: the ground truth fed back by chargebacks, analysts and customers. Writing the same
// label again changes nothing; a different value or source becomes a new audited version.

export const LABEL_SOURCES = ["CHARGEBACK", "ANALYST", "CUSTOMER", "ISSUER", "MERCHANT", "RULE_TEST"] as const;
export const MAX_FEEDBACK_BATCH = 500;

export const LabelInputSchema = z.strictObject({
  transaction_id: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]*$/, "letters, digits and . _ : @ - only, starting with a letter or digit"),
  is_fraud: z.boolean(),
  source: z.enum(LABEL_SOURCES),
  note: z.string().max(2000).optional(),
  reported_on: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, "YYYY-MM-DD")
    .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), "not a calendar date")
    .optional()
    .describe("the date the source gives (a chargeback's date); kept with the version, not part of what makes a label new"),
});
export type LabelInput = z.infer<typeof LabelInputSchema>;

export const FeedbackRequestSchema = z
  .strictObject({
    labels: z.array(LabelInputSchema).min(1).max(MAX_FEEDBACK_BATCH),
  })
  .superRefine((r, ctx) => {
    const seen = new Map<string, number>();
    r.labels.forEach((l, i) => {
      const first = seen.get(l.transaction_id);
      if (first !== undefined) {
        ctx.addIssue({ code: "custom", path: ["labels", i, "transaction_id"], message: `duplicate of labels.${first}` });
      } else seen.set(l.transaction_id, i);
    });
  });
export type FeedbackRequest = z.infer<typeof FeedbackRequestSchema>;

export type LabelOutcome = "CREATED" | "UPDATED" | "UNCHANGED";

export interface LabelWrite extends LabelInput {
  actor: string;
  case_id?: number;
}

/**
 * Writes one label inside the caller's transaction. The advisory lock serialises writers of the
 * same transaction id, so versions stay gap-free and "previous" is really the previous value.
 */
export async function writeLabel(tx: SqlQuery, l: LabelWrite, atIso: string): Promise<{ outcome: LabelOutcome; version: number }> {
  await tx.query("SELECT pg_advisory_xact_lock(hashtext('vigil.label:' || $1))", [l.transaction_id]);
  const { rows } = await tx.query<{ version: number; is_fraud: boolean; source: string }>(
    "SELECT version, is_fraud, source FROM fraud_ops.current_labels WHERE transaction_id = $1",
    [l.transaction_id],
  );
  const cur = rows[0];
  if (cur && cur.is_fraud === l.is_fraud && cur.source === l.source) return { outcome: "UNCHANGED", version: cur.version };
  const version = (cur?.version ?? 0) + 1;
  await tx.query(
    `INSERT INTO fraud_ops.labels
       (transaction_id, version, is_fraud, source, actor, note, case_id, previous_is_fraud, previous_source, labelled_at, reported_on)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [l.transaction_id, version, l.is_fraud, l.source, l.actor, l.note ?? null, l.case_id ?? null, cur?.is_fraud ?? null, cur?.source ?? null, atIso, l.reported_on ?? null],
  );
  await tx.query(
    `INSERT INTO fraud_ops.current_labels (transaction_id, version, is_fraud, source, labelled_at)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (transaction_id) DO UPDATE
       SET version = excluded.version, is_fraud = excluded.is_fraud, source = excluded.source, labelled_at = excluded.labelled_at`,
    [l.transaction_id, version, l.is_fraud, l.source, atIso],
  );
  return { outcome: cur ? "UPDATED" : "CREATED", version };
}

export interface FeedbackResult {
  created: number;
  updated: number;
  unchanged: number;
  results: Array<{ transaction_id: string; outcome: LabelOutcome; version: number }>;
}

/** One transaction for the whole batch; ids are locked in sorted order so concurrent batches cannot deadlock. */
export async function applyFeedback(
  sql: OpsSql,
  labels: LabelInput[],
  actor: string,
  atIso: string,
): Promise<FeedbackResult> {
  const order = labels.map((l, i) => ({ l, i })).sort((a, b) => (a.l.transaction_id < b.l.transaction_id ? -1 : 1));
  const results = await sql.transaction(async (tx) => {
    const out: FeedbackResult["results"] = new Array(labels.length);
    for (const { l, i } of order) {
      const r = await writeLabel(tx, { ...l, actor }, atIso);
      out[i] = { transaction_id: l.transaction_id, ...r };
    }
    return out;
  });
  const count = (o: LabelOutcome) => results.filter((r) => r.outcome === o).length;
  return { created: count("CREATED"), updated: count("UPDATED"), unchanged: count("UNCHANGED"), results };
}

export interface LabelHistoryRow {
  version: number;
  is_fraud: boolean;
  source: string;
  actor: string;
  note: string | null;
  case_id: number | null;
  previous_is_fraud: boolean | null;
  previous_source: string | null;
  labelled_at: string;
  reported_on: string | null;
}

export async function labelHistory(sql: SqlQuery, transactionId: string): Promise<LabelHistoryRow[]> {
  const { rows } = await sql.query<LabelHistoryRow & { labelled_at: unknown }>(
    `SELECT version, is_fraud, source, actor, note, case_id::float8 AS case_id, previous_is_fraud, previous_source, labelled_at,
            reported_on::text AS reported_on
       FROM fraud_ops.labels WHERE transaction_id = $1 ORDER BY version`,
    [transactionId],
  );
  return rows.map((r) => ({ ...r, labelled_at: new Date(r.labelled_at as string | Date).toISOString() }));
}

const LABEL_CHUNK = 5000;

/**
 * The current label of each of `transactionIds` that has one: asked for in chunks, so a long
 * history of labels stays on the server (backtests, the CLI's --labels-pg).
 */
export async function currentLabels(sql: SqlQuery, transactionIds: readonly string[]): Promise<Map<string, boolean>> {
  const labels = new Map<string, boolean>();
  for (let i = 0; i < transactionIds.length; i += LABEL_CHUNK) {
    const { rows } = await sql.query<{ transaction_id: string; is_fraud: boolean }>(
      "SELECT transaction_id, is_fraud FROM fraud_ops.current_labels WHERE transaction_id = ANY($1::text[])",
      [transactionIds.slice(i, i + LABEL_CHUNK)],
    );
    for (const r of rows) labels.set(r.transaction_id, r.is_fraud);
  }
  return labels;
}
