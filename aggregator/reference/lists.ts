import { LIST_ACTIONS, parseListName, type ListAction, type ListName } from "../../core/contracts/lists.js";
import type { ListsSnapshot } from "../../core/contracts/reference.js";
import type { SqlQuery } from "../ports/index.js";

// The list part of a reference publish. What the edge should hold: every entry not expired at
// publish time (expired ones are pruned here; the edge's engine also ignores any it still holds,
// by event time), as Redis hash fields `<kind>:<value>` → expiry ISO or "" under
// REDIS_KEYS.listBlock / listAllow. fraud_ops.published_lists remembers what was sent.

export interface ListDelta {
  set: Record<ListAction, Record<string, string>>;
  del: Record<ListAction, string[]>;
  changes: number;
}

const byAction = <T>(f: () => T): Record<ListAction, T> => ({ block: f(), allow: f() });

export function emptyListDelta(): ListDelta {
  return { set: byAction((): Record<string, string> => ({})), del: byAction((): string[] => []), changes: 0 };
}

/** Entries in force at `nowIso`, by action: field `<kind>:<value>` → expiry ISO or "". */
export async function desiredLists(sql: SqlQuery, nowIso: string): Promise<Record<ListAction, Map<string, string>>> {
  const { rows } = await sql.query<{ list: ListName; value: string; expires_at: unknown }>(
    "SELECT list, value, expires_at FROM fraud_ops.list_entries WHERE expires_at IS NULL OR expires_at > $1::timestamptz",
    [nowIso],
  );
  const out = byAction(() => new Map<string, string>());
  for (const r of rows) {
    const { action, kind } = parseListName(r.list);
    out[action].set(`${kind}:${r.value}`, r.expires_at === null ? "" : new Date(r.expires_at as string | Date).toISOString());
  }
  return out;
}

export async function computeListDelta(sql: SqlQuery, nowIso: string): Promise<ListDelta> {
  const want = await desiredLists(sql, nowIso);
  const { rows } = await sql.query<{ action: ListAction; field: string; value: string }>("SELECT action, field, value FROM fraud_ops.published_lists");
  const have = byAction(() => new Map<string, string>());
  for (const r of rows) have[r.action].set(r.field, r.value);
  const d = emptyListDelta();
  for (const a of LIST_ACTIONS) {
    for (const [f, v] of want[a]) if (have[a].get(f) !== v) { d.set[a][f] = v; d.changes++; }
    for (const f of have[a].keys()) if (!want[a].has(f)) { d.del[a].push(f); d.changes++; }
  }
  return d;
}

/** Records a delta the targets accepted (inside the publish transaction). */
export async function recordListDelta(tx: SqlQuery, d: ListDelta): Promise<void> {
  for (const a of LIST_ACTIONS) {
    const sets = Object.entries(d.set[a]).map(([field, value]) => ({ field, value }));
    if (sets.length > 0) {
      await tx.query(
        `INSERT INTO fraud_ops.published_lists (action, field, value)
         SELECT $1, field, value FROM jsonb_to_recordset($2::jsonb) AS x(field text, value text)
         ON CONFLICT (action, field) DO UPDATE SET value = excluded.value`,
        [a, JSON.stringify(sets)],
      );
    }
    if (d.del[a].length > 0) {
      await tx.query("DELETE FROM fraud_ops.published_lists WHERE action = $1 AND field IN (SELECT jsonb_array_elements_text($2::jsonb))", [a, JSON.stringify(d.del[a])]);
    }
  }
}

/** The snapshot's `lists` part (embedded profile): entries in force at `nowIso`. */
export async function snapshotLists(sql: SqlQuery, nowIso: string): Promise<ListsSnapshot> {
  const want = await desiredLists(sql, nowIso);
  const out: ListsSnapshot = {};
  for (const a of LIST_ACTIONS) {
    for (const [field, exp] of want[a]) {
      const colon = field.indexOf(":");
      const name = `${a}-${field.slice(0, colon)}` as ListName;
      (out[name] ??= {})[field.slice(colon + 1)] = exp === "" ? null : exp;
    }
  }
  return out;
}
