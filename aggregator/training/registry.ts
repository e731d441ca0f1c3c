import type { GbdtThresholds, GbdtValidation } from "../../core/ml/gbdt/model.js";
import { ModelNotFoundError, ModelTransitionError, nextStatus, type ModelAction, type ModelStatus } from "./lifecycle.js";
import { type OpsSql, type SqlQuery, isoOf } from "../ports/index.js";

// The model registry in PostgreSQL (fraud_ops.models, fraud_ops.model_events; migration 016).
// Every status change runs in one transaction with a row lock on the models it touches and
// writes its audit row there too, so the registry and its trail never disagree. Who may do
// what (analyst trains, admin promotes) is the API's business; this module only enforces the
// lifecycle (lifecycle.ts) and the one-champion / one-shadow rule.

/** What the training job counted on its way from the feature store to the datasets. */
export interface TrainingCounts {
  /** Feature-store rows read for the window. */
  rows_read: number;
  /** Rows of another feature layout than this build's (not usable by this trainer). */
  other_layout: number;
  /** Rows whose label had not matured by the cut-off (event time + label delay > cut-off). */
  not_matured: number;
  /** Labels left out because they were recorded after the cut-off. */
  labels_after_cutoff: number;
  train_rows: number;
  train_positives: number;
  valid_rows: number;
  valid_positives: number;
}

export interface ModelRow {
  version: string;
  status: ModelStatus;
  train_from: string;
  train_to: string;
  cutoff: string;
  label_delay_days: number;
  feature_layout: string | null;
  artifact_key: string | null;
  sha256: string | null;
  counts: TrainingCounts | null;
  validation: GbdtValidation | null;
  thresholds: GbdtThresholds | null;
  error: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
}

export interface ModelEvent {
  at: string;
  actor: string;
  action: ModelAction;
  from_status: ModelStatus | null;
  to_status: ModelStatus;
  note: string | null;
}

const COLUMNS = `version, status, train_from, train_to, cutoff, label_delay_days::float8 AS label_delay_days, feature_layout,
  artifact_key, sha256, counts, validation, thresholds, error, created_by, created_at, updated_at`;

type RawRow = Omit<ModelRow, "train_from" | "train_to" | "cutoff" | "created_at" | "updated_at" | "counts" | "validation" | "thresholds"> & {
  train_from: unknown;
  train_to: unknown;
  cutoff: unknown;
  created_at: unknown;
  updated_at: unknown;
  counts: unknown;
  validation: unknown;
  thresholds: unknown;
};

// JSONB comes back parsed from pg and PGlite alike; text is tolerated for other drivers.
const json = <T>(v: unknown): T | null => (v === null || v === undefined ? null : typeof v === "string" ? (JSON.parse(v) as T) : (v as T));

function toRow(r: RawRow): ModelRow {
  return {
    ...r,
    train_from: isoOf(r.train_from),
    train_to: isoOf(r.train_to),
    cutoff: isoOf(r.cutoff),
    created_at: isoOf(r.created_at),
    updated_at: isoOf(r.updated_at),
    counts: json<TrainingCounts>(r.counts),
    validation: json<GbdtValidation>(r.validation),
    thresholds: json<GbdtThresholds>(r.thresholds),
  };
}

export interface NewTraining {
  version: string;
  trainFrom: string;
  trainTo: string;
  cutoff: string;
  labelDelayDays: number;
  actor: string;
  at: string;
}

export async function createTraining(sql: OpsSql, t: NewTraining): Promise<ModelRow> {
  return sql.transaction(async (tx) => {
    const { rows } = await tx.query<RawRow>(
      `INSERT INTO fraud_ops.models (version, status, train_from, train_to, cutoff, label_delay_days, created_by, created_at, updated_at)
       VALUES ($1, 'training', $2, $3, $4, $5, $6, $7, $7) RETURNING ${COLUMNS}`,
      [t.version, t.trainFrom, t.trainTo, t.cutoff, t.labelDelayDays, t.actor, t.at],
    );
    await audit(tx, t.version, t.at, t.actor, "TRAIN", null, "training", `window ${t.trainFrom} .. ${t.trainTo}, cut-off ${t.cutoff}`);
    return toRow(rows[0] as RawRow);
  });
}

export interface TrainedArtifact {
  artifactKey: string;
  sha256: string;
  featureLayout: string;
  counts: TrainingCounts;
  validation: GbdtValidation;
  thresholds: GbdtThresholds;
}

export async function markTrained(sql: OpsSql, version: string, a: TrainedArtifact, actor: string, at: string): Promise<ModelRow> {
  return move(sql, version, "TRAINED", actor, at, null, async (tx) => {
    await tx.query(
      `UPDATE fraud_ops.models SET artifact_key = $2, sha256 = $3, feature_layout = $4, counts = $5::jsonb, validation = $6::jsonb, thresholds = $7::jsonb
        WHERE version = $1`,
      [version, a.artifactKey, a.sha256, a.featureLayout, JSON.stringify(a.counts), JSON.stringify(a.validation), JSON.stringify(a.thresholds)],
    );
  });
}

export async function markFailed(sql: OpsSql, version: string, error: string, actor: string, at: string, counts?: TrainingCounts): Promise<ModelRow> {
  return move(sql, version, "FAIL", actor, at, error.slice(0, 500), async (tx) => {
    await tx.query("UPDATE fraud_ops.models SET error = $2, counts = COALESCE($3::jsonb, counts) WHERE version = $1", [
      version,
      error.slice(0, 2000),
      counts ? JSON.stringify(counts) : null,
    ]);
  });
}

export interface Promotion {
  model: ModelRow;
  /** The champion it replaced (now retired), if any. */
  previous: string | null;
}

/** The version becomes champion; the old champion is retired. Promoting a retired version is the rollback. */
export async function promote(sql: OpsSql, version: string, actor: string, at: string, note?: string): Promise<Promotion> {
  let previous: string | null = null;
  const model = await move(sql, version, "PROMOTE", actor, at, note ?? null, async (tx) => {
    previous = await displace(tx, "champion", "RETIRE", actor, at, `replaced by ${version}`);
  });
  return { model, previous };
}

/** The version is scored beside the champion; a previous shadow goes back to candidate. */
export async function shadow(sql: OpsSql, version: string, actor: string, at: string, note?: string): Promise<Promotion> {
  let previous: string | null = null;
  const model = await move(sql, version, "SHADOW", actor, at, note ?? null, async (tx) => {
    previous = await displace(tx, "shadow", "UNSHADOW", actor, at, `replaced by ${version}`);
  });
  return { model, previous };
}

/** Moves the current holder of `slot` out (before the new one moves in: the unique index allows one). */
async function displace(tx: SqlQuery, slot: "champion" | "shadow", action: ModelAction, actor: string, at: string, note: string): Promise<string | null> {
  const { rows } = await tx.query<{ version: string }>("SELECT version FROM fraud_ops.models WHERE status = $1 FOR UPDATE", [slot]);
  const cur = rows[0]?.version;
  if (cur === undefined) return null;
  const to = nextStatus(slot, action) as ModelStatus;
  await tx.query("UPDATE fraud_ops.models SET status = $2, updated_at = $3 WHERE version = $1", [cur, to, at]);
  await audit(tx, cur, at, actor, action, slot, to, note);
  return cur;
}

/** The SQL client wraps whatever a transaction throws as a PortError; lifecycle refusals come back out as themselves. */
async function unwrapped<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    const cause = e instanceof Error ? e.cause : undefined;
    if (cause instanceof ModelNotFoundError || cause instanceof ModelTransitionError) throw cause;
    throw e;
  }
}

async function move(
  sql: OpsSql,
  version: string,
  action: ModelAction,
  actor: string,
  at: string,
  note: string | null,
  before: (tx: SqlQuery) => Promise<void>,
): Promise<ModelRow> {
  return unwrapped(() => sql.transaction(async (tx) => {
    // One registry writer at a time: promotions touch two rows and must not interleave.
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('vigil.model-registry'))");
    const { rows } = await tx.query<{ status: ModelStatus }>("SELECT status FROM fraud_ops.models WHERE version = $1 FOR UPDATE", [version]);
    const from = rows[0]?.status;
    if (from === undefined) throw new ModelNotFoundError(version);
    const to = nextStatus(from, action);
    if (to === undefined) throw new ModelTransitionError(version, from, action);
    // A version promoted while it is the shadow leaves the shadow slot empty (it cannot be both).
    await before(tx);
    const updated = await tx.query<RawRow>(`UPDATE fraud_ops.models SET status = $2, updated_at = $3 WHERE version = $1 RETURNING ${COLUMNS}`, [version, to, at]);
    await audit(tx, version, at, actor, action, from, to, note);
    return toRow(updated.rows[0] as RawRow);
  }));
}

async function audit(tx: SqlQuery, version: string, at: string, actor: string, action: ModelAction, from: ModelStatus | null, to: ModelStatus, note: string | null): Promise<void> {
  await tx.query(
    "INSERT INTO fraud_ops.model_events (version, at, actor, action, from_status, to_status, note) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    [version, at, actor, action, from, to, note],
  );
}

export async function getModel(sql: SqlQuery, version: string): Promise<ModelRow | undefined> {
  const { rows } = await sql.query<RawRow>(`SELECT ${COLUMNS} FROM fraud_ops.models WHERE version = $1`, [version]);
  return rows[0] ? toRow(rows[0]) : undefined;
}

export async function listModels(sql: SqlQuery, limit = 100): Promise<ModelRow[]> {
  const { rows } = await sql.query<RawRow>(`SELECT ${COLUMNS} FROM fraud_ops.models ORDER BY created_at DESC, version DESC LIMIT $1`, [limit]);
  return rows.map(toRow);
}

export async function modelEvents(sql: SqlQuery, version: string): Promise<ModelEvent[]> {
  const { rows } = await sql.query<Omit<ModelEvent, "at"> & { at: unknown }>(
    "SELECT at, actor, action, from_status, to_status, note FROM fraud_ops.model_events WHERE version = $1 ORDER BY event_id",
    [version],
  );
  return rows.map((r) => ({ ...r, at: isoOf(r.at) }));
}

/** The versions the edge should score with: the champion and the shadow, with their model files' keys. */
export async function activeModels(sql: SqlQuery): Promise<{ champion?: ModelRow; shadow?: ModelRow }> {
  const { rows } = await sql.query<RawRow>(`SELECT ${COLUMNS} FROM fraud_ops.models WHERE status IN ('champion', 'shadow')`);
  const out: { champion?: ModelRow; shadow?: ModelRow } = {};
  for (const r of rows.map(toRow)) {
    if (r.status === "champion") out.champion = r;
    else out.shadow = r;
  }
  return out;
}

/** Versions created since `sinceIso`, for the scheduler's "already trained recently" check. */
export async function latestCreatedAt(sql: SqlQuery): Promise<string | undefined> {
  const { rows } = await sql.query<{ at: unknown }>("SELECT max(created_at) AS at FROM fraud_ops.models");
  const at = rows[0]?.at;
  return at === null || at === undefined ? undefined : isoOf(at);
}
