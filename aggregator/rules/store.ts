import { createHash } from "node:crypto";
import { canonicalJson, diffRuleSets, type RuleSetDiff } from "../../core/rules/hits.js";
import { defaultRuleSet } from "../../core/engine-default.js";
import { RuleSetSchema, type RuleSet } from "../../core/rules/schema.js";
import { type OpsSql, type SqlQuery, isoOf } from "../ports/index.js";

// The rule-set registry in PostgreSQL (migration 018): immutable versions, the one active and
// the optional shadow set, and the audit trail. Moves take a row lock on rule_state so two
// admins activating at once are serialized and each audit row names the version it replaced.

export type RuleStatus = "active" | "shadow" | "inactive";
export type RuleAction = "CREATE" | "ACTIVATE" | "SHADOW" | "UNSHADOW";

export interface RuleSetRow {
  version: string;
  description: string | null;
  rule_count: number;
  sha256: string;
  status: RuleStatus;
  created_by: string;
  created_at: string;
}

export interface RuleEventRow {
  at: string;
  actor: string;
  action: RuleAction;
  previous_version: string | null;
  diff: RuleSetDiff | null;
}

export interface RuleState {
  active: string | null;
  shadow: string | null;
}

export class RuleSetNotFoundError extends Error {}
/** The version exists with other content: rule sets are immutable per version. */
export class RuleVersionConflictError extends Error {}
export class RuleTransitionError extends Error {}

/** The SQL port wraps whatever a transaction throws; our own refusals come back out unwrapped. */
async function inTx<T>(sql: OpsSql, fn: Parameters<OpsSql["transaction"]>[0] extends (tx: infer Q) => Promise<unknown> ? (tx: Q) => Promise<T> : never): Promise<T> {
  try {
    return await sql.transaction(fn);
  } catch (e) {
    for (let c: unknown = e; c instanceof Error; c = c.cause) {
      if (c instanceof RuleSetNotFoundError || c instanceof RuleVersionConflictError || c instanceof RuleTransitionError) throw c;
    }
    throw e;
  }
}

const sha = (rs: RuleSet) => createHash("sha256").update(canonicalJson(rs)).digest("hex");
const jsonOf = (v: unknown): unknown => (typeof v === "string" ? JSON.parse(v) : v);

interface Raw {
  version: string;
  body: unknown;
  sha256: string;
  rule_count: number;
  created_by: string;
  created_at: unknown;
}

function statusOf(version: string, s: RuleState): RuleStatus {
  return s.active === version ? "active" : s.shadow === version ? "shadow" : "inactive";
}

function toRow(r: Raw, s: RuleState): RuleSetRow {
  const body = jsonOf(r.body) as { description?: string };
  return { version: r.version, description: body.description ?? null, rule_count: r.rule_count, sha256: r.sha256, status: statusOf(r.version, s), created_by: r.created_by, created_at: isoOf(r.created_at) };
}

export async function ruleState(sql: SqlQuery, lock = false): Promise<RuleState> {
  const { rows } = await sql.query<{ active_version: string | null; shadow_version: string | null }>(
    `SELECT active_version, shadow_version FROM fraud_ops.rule_state WHERE id = 1${lock ? " FOR UPDATE" : ""}`,
  );
  return { active: rows[0]?.active_version ?? null, shadow: rows[0]?.shadow_version ?? null };
}

export async function loadRuleSet(sql: SqlQuery, version: string): Promise<RuleSet | undefined> {
  const { rows } = await sql.query<{ body: unknown }>("SELECT body FROM fraud_ops.rule_sets WHERE version = $1", [version]);
  const row = rows[0];
  // Stored only after validation; parsed again so a hand-edited row cannot reach the edge.
  return row ? RuleSetSchema.parse(jsonOf(row.body)) : undefined;
}

/** Stores a validated rule set; the same content again is a no-op (created: false). */
export async function createRuleSet(sql: OpsSql, rs: RuleSet, actor: string, nowIso: string): Promise<{ row: RuleSetRow; created: boolean }> {
  const digest = sha(rs);
  return inTx(sql, async (tx) => {
    const ins = await tx.query<Raw>(
      `INSERT INTO fraud_ops.rule_sets (version, body, sha256, rule_count, created_by, created_at)
       VALUES ($1, $2::jsonb, $3, $4, $5, $6) ON CONFLICT (version) DO NOTHING
       RETURNING version, body, sha256, rule_count, created_by, created_at`,
      [rs.version, JSON.stringify(rs), digest, rs.rules.length, actor, nowIso],
    );
    const state = await ruleState(tx);
    if (ins.rows[0]) {
      await tx.query("INSERT INTO fraud_ops.rule_events (version, at, actor, action) VALUES ($1, $2, $3, 'CREATE')", [rs.version, nowIso, actor]);
      return { row: toRow(ins.rows[0], state), created: true };
    }
    const { rows } = await tx.query<Raw>("SELECT version, body, sha256, rule_count, created_by, created_at FROM fraud_ops.rule_sets WHERE version = $1", [rs.version]);
    const existing = rows[0];
    if (!existing) throw new Error(`rule set ${rs.version} vanished`);
    if (existing.sha256 !== digest) throw new RuleVersionConflictError(`rule set ${rs.version} already exists with other rules; rule sets are immutable per version, post a new version`);
    return { row: toRow(existing, state), created: false };
  });
}

export async function listRuleSets(sql: SqlQuery): Promise<{ state: RuleState; rows: RuleSetRow[] }> {
  const state = await ruleState(sql);
  const { rows } = await sql.query<Raw>("SELECT version, body, sha256, rule_count, created_by, created_at FROM fraud_ops.rule_sets ORDER BY created_at DESC, version DESC");
  return { state, rows: rows.map((r) => toRow(r, state)) };
}

export async function getRuleSet(sql: SqlQuery, version: string): Promise<{ row: RuleSetRow; ruleSet: RuleSet; events: RuleEventRow[] } | undefined> {
  const { rows } = await sql.query<Raw>("SELECT version, body, sha256, rule_count, created_by, created_at FROM fraud_ops.rule_sets WHERE version = $1", [version]);
  const r = rows[0];
  if (!r) return undefined;
  const ev = await sql.query<{ at: unknown; actor: string; action: RuleAction; previous_version: string | null; diff: unknown }>(
    "SELECT at, actor, action, previous_version, diff FROM fraud_ops.rule_events WHERE version = $1 ORDER BY event_id",
    [version],
  );
  return {
    row: toRow(r, await ruleState(sql)),
    ruleSet: RuleSetSchema.parse(jsonOf(r.body)),
    events: ev.rows.map((e) => ({ at: isoOf(e.at), actor: e.actor, action: e.action, previous_version: e.previous_version, diff: e.diff === null ? null : (jsonOf(e.diff) as RuleSetDiff) })),
  };
}

export interface Move {
  version: string;
  previous: string | null;
  diff: RuleSetDiff;
  /** Whether the state changed (activating the active version again only re-publishes). */
  changed: boolean;
}

/**
 * Makes `version` the active (or shadow) set, auditing who, when, the version it replaced and
 * the diff of rule ids. Activating the version in shadow ends the shadow (it now decides).
 */
export async function moveRuleSet(sql: OpsSql, version: string, to: "active" | "shadow", actor: string, nowIso: string): Promise<Move> {
  return inTx(sql, async (tx) => {
    const state = await ruleState(tx, true);
    const next = await loadRuleSet(tx, version);
    if (!next) throw new RuleSetNotFoundError(`unknown rule set ${version}`);
    if (to === "shadow" && state.active === version) throw new RuleTransitionError(`rule set ${version} is active; a shadow runs beside the active set`);
    // With nothing activated yet the edge scores with its bundled rules: that is what is replaced.
    const bundled = defaultRuleSet();
    const previous = to === "active" ? (state.active ?? bundled.version) : state.shadow;
    // The diff is always against what decides at the edge: the active set (or the bundled one).
    const base = state.active !== null ? await loadRuleSet(tx, state.active) : bundled;
    const diff = diffRuleSets(to === "active" && state.active === version ? next : base, next);
    if (previous === version) return { version, previous, diff, changed: false };
    const endsShadow = to === "active" && state.shadow === version;
    await tx.query(
      to === "active"
        ? `UPDATE fraud_ops.rule_state SET active_version = $1, shadow_version = CASE WHEN shadow_version = $1 THEN NULL ELSE shadow_version END, updated_at = $2 WHERE id = 1`
        : "UPDATE fraud_ops.rule_state SET shadow_version = $1, updated_at = $2 WHERE id = 1",
      [version, nowIso],
    );
    await tx.query(
      "INSERT INTO fraud_ops.rule_events (version, at, actor, action, previous_version, diff) VALUES ($1, $2, $3, $4, $5, $6::jsonb)",
      [version, nowIso, actor, to === "active" ? "ACTIVATE" : "SHADOW", previous, JSON.stringify(diff)],
    );
    if (endsShadow) await tx.query("INSERT INTO fraud_ops.rule_events (version, at, actor, action) VALUES ($1, $2, $3, 'UNSHADOW')", [version, nowIso, actor]);
    return { version, previous, diff, changed: true };
  });
}

/** Stops the shadow set, if any; audited on the version that was in shadow. */
export async function stopShadow(sql: OpsSql, actor: string, nowIso: string): Promise<string | null> {
  return inTx(sql, async (tx) => {
    const state = await ruleState(tx, true);
    if (state.shadow === null) return null;
    await tx.query("UPDATE fraud_ops.rule_state SET shadow_version = NULL, updated_at = $1 WHERE id = 1", [nowIso]);
    await tx.query("INSERT INTO fraud_ops.rule_events (version, at, actor, action) VALUES ($1, $2, $3, 'UNSHADOW')", [state.shadow, nowIso, actor]);
    return state.shadow;
  });
}
