import { decodeEntityStats } from "../../core/contracts/entity-stats.js";
import { ReferenceSnapshotSchema, type ReferenceSnapshot } from "../../core/contracts/reference.js";
import type { EntityRiskStats } from "../../core/schemas.js";
import { computeListDelta, recordListDelta, snapshotLists } from "./lists.js";
import { KINDS, type ActiveModelFiles, type ActiveRuleSets, type PublishedKind, type ReferenceDelta, type ReferenceTarget } from "./target.js";
import type { OpsSql, SqlQuery } from "../ports/index.js";

// The one reference publisher. Risk: only differences from what was last published are sent (so
// values written by other tools, e.g. seeded merchant risk, stay), and only once the target
// accepted them is `published_reference` updated: a failed publish is simply retried by the next
// run. Rule sets and models: the registry's current state, whatever it is, so a retry is safe.
// Every publication bumps what tells edges to reload: vigil:refdata:version through the target,
// or fraud_ops.refdata_state for the snapshot endpoint (embedded, no target).

const byKind = <T>(f: () => T): Record<PublishedKind, T> => ({ merchant: f(), terminal: f(), card_tier: f(), terminal_stats: f(), merchant_stats: f() });

/** Risk as text with at most 6 decimals: stable, so an unchanged value is never re-sent. */
export const riskText = (r: number): string => String(Math.round(r * 1e6) / 1e6);

async function desired(sql: SqlQuery): Promise<Record<PublishedKind, Map<string, string>>> {
  const ents = await sql.query<{ kind: "merchant" | "terminal"; entity_id: string; risk: number }>(
    "SELECT kind, entity_id, risk FROM fraud_ops.entity_risk",
  );
  const cards = await sql.query<{ card_number_hash: string; tier: string }>("SELECT card_number_hash, tier FROM fraud_ops.card_risk");
  // Already in the published encoding (core/contracts/entity-stats.ts).
  const stats = await sql.query<{ kind: "terminal_stats" | "merchant_stats"; entity_id: string; value: string }>(
    "SELECT kind, entity_id, value FROM fraud_ops.entity_stats",
  );
  const out = byKind(() => new Map<string, string>());
  for (const r of ents.rows) out[r.kind].set(r.entity_id, riskText(r.risk));
  for (const r of cards.rows) out.card_tier.set(r.card_number_hash, r.tier);
  for (const r of stats.rows) out[r.kind].set(r.entity_id, r.value);
  return out;
}

/** `nowIso` prunes list entries expired by then (default: the wall clock). */
export async function computeDelta(sql: SqlQuery, nowIso: string = new Date().toISOString()): Promise<ReferenceDelta> {
  const want = await desired(sql);
  const { rows } = await sql.query<{ kind: PublishedKind; entity_id: string; value: string }>(
    "SELECT kind, entity_id, value FROM fraud_ops.published_reference",
  );
  const have = byKind(() => new Map<string, string>());
  for (const r of rows) have[r.kind].set(r.entity_id, r.value);
  const delta: ReferenceDelta = { set: byKind((): Record<string, string> => ({})), del: byKind((): string[] => []), changes: 0 };
  for (const k of KINDS) {
    for (const [id, v] of want[k]) {
      if (have[k].get(id) !== v) {
        delta.set[k][id] = v;
        delta.changes++;
      }
    }
    for (const id of have[k].keys()) {
      if (!want[k].has(id)) {
        delta.del[k].push(id);
        delta.changes++;
      }
    }
  }
  const lists = await computeListDelta(sql, nowIso);
  if (lists.changes > 0) {
    delta.lists = lists;
    delta.changes += lists.changes;
  }
  return delta;
}

export interface PublishResult {
  changes: number;
  version: number;
  targets: string[];
}

/** Sends the delta to every target, then records it and bumps the snapshot version. */
export async function publishReference(sql: OpsSql, target: ReferenceTarget | undefined, nowIso: string): Promise<PublishResult> {
  const delta = await computeDelta(sql, nowIso);
  if (delta.changes === 0) return { changes: 0, version: await snapshotVersion(sql), targets: [] };
  if (target) await target.apply({ risk: delta });
  const version = await sql.transaction(async (tx) => {
    for (const k of KINDS) {
      const sets = Object.entries(delta.set[k]).map(([entity_id, value]) => ({ entity_id, value }));
      if (sets.length > 0) {
        await tx.query(
          `INSERT INTO fraud_ops.published_reference (kind, entity_id, value)
           SELECT $1, entity_id, value FROM jsonb_to_recordset($2::jsonb) AS x(entity_id text, value text)
           ON CONFLICT (kind, entity_id) DO UPDATE SET value = excluded.value`,
          [k, JSON.stringify(sets)],
        );
      }
      if (delta.del[k].length > 0) {
        await tx.query(
          "DELETE FROM fraud_ops.published_reference WHERE kind = $1 AND entity_id IN (SELECT jsonb_array_elements_text($2::jsonb))",
          [k, JSON.stringify(delta.del[k])],
        );
      }
    }
    if (delta.lists) await recordListDelta(tx, delta.lists);
    const v = await tx.query<{ version: number }>(
      "UPDATE fraud_ops.refdata_state SET version = version + 1, updated_at = $1 WHERE id = 1 RETURNING version::float8 AS version",
      [nowIso],
    );
    return v.rows[0]?.version ?? 0;
  });
  return { changes: delta.changes, version, targets: target ? [target.name] : [] };
}

/**
 * Publishes the registry's active rule sets or models: to the target, or (embedded) by bumping
 * the snapshot's version so the edge's snapshot adapter reloads. Answers where it went.
 */
export async function publishActive(sql: OpsSql, target: ReferenceTarget | undefined, nowIso: string, p: { rules: ActiveRuleSets } | { models: ActiveModelFiles }): Promise<string[]> {
  if (target) {
    await target.apply(p);
    return [target.name];
  }
  await sql.query("UPDATE fraud_ops.refdata_state SET version = version + 1, updated_at = $1 WHERE id = 1", [nowIso]);
  return ["snapshot"];
}

export async function snapshotVersion(sql: SqlQuery): Promise<number> {
  const { rows } = await sql.query<{ version: number }>("SELECT version::float8 AS version FROM fraud_ops.refdata_state WHERE id = 1");
  return rows[0]?.version ?? 0;
}

/** Reference data the ops tables do not own (block lists, IP risk, active versions, rule sets). */
export type SnapshotBase = () => Promise<Partial<ReferenceSnapshot>>;

/**
 * The embedded profile's snapshot: the base document overlaid with label-derived risk. Its version
 * is the base's plus the ops publish counter, so a change of either makes the edge reload.
 */
export async function buildSnapshot(sql: SqlQuery, base?: SnapshotBase, models?: SnapshotBase, nowIso: string = new Date().toISOString()): Promise<ReferenceSnapshot> {
  // The model registry's champion, shadow and their files win over the base's versions.
  const b = { ...(base ? await base() : {}), ...(models ? await models() : {}) };
  const want = await desired(sql);
  const num = (m: Map<string, string>) => Object.fromEntries([...m].map(([k, v]) => [k, Number(v)]));
  const stats = (m: Map<string, string>): Record<string, EntityRiskStats> => {
    const out: Record<string, EntityRiskStats> = {};
    for (const [k, v] of m) {
      const s = decodeEntityStats(v);
      if (s) out[k] = s;
    }
    return out;
  };
  const snapshot = {
    ...b,
    version: (b.version ?? 0) + (await snapshotVersion(sql)),
    bins: b.bins ?? [],
    ips: b.ips ?? [],
    ip_risk: b.ip_risk ?? {},
    merchant_risk: { ...(b.merchant_risk ?? {}), ...num(want.merchant) },
    terminal_risk: { ...(b.terminal_risk ?? {}), ...num(want.terminal) },
    card_tier: { ...(b.card_tier ?? {}), ...Object.fromEntries(want.card_tier) },
    terminal_stats: { ...(b.terminal_stats ?? {}), ...stats(want.terminal_stats) },
    merchant_stats: { ...(b.merchant_stats ?? {}), ...stats(want.merchant_stats) },
  };
  // Lists in force now; the base's own lists (if any) stay, the tables win per list.
  const lists = { ...(b.lists ?? {}), ...(await snapshotLists(sql, nowIso)) };
  if (Object.keys(lists).length > 0) Object.assign(snapshot, { lists });
  return ReferenceSnapshotSchema.parse(snapshot);
}
