import { decidingRuleOf, ruleIdsOf } from "../../core/rules/hits.js";
import type { ScoredEvent } from "../../core/schemas.js";
import type { SqlQuery } from "../ports/index.js";

// Rule hits on live traffic, from fraud-verdicts: per scored transaction one evaluation row for
// the active set (the verdict given) and, when the edge ran a shadow set beside it, one for the
// shadow (what it would have decided), plus one row per rule that fired. Rule ids are read back
// from the verdict's RULE reasons (core/rules/hits.ts). Idempotent per transaction.

interface EvalRow { transaction_id: string; shadow: boolean; rules_version: string; verdict: string; hit: boolean; event_time: string }
interface HitRow { transaction_id: string; shadow: boolean; rule_id: string; rules_version: string; decided: boolean; event_time: string }

export function liveRows(records: readonly ScoredEvent[]): { evals: EvalRow[]; hits: HitRow[] } {
  const evals: EvalRow[] = [];
  const hits: HitRow[] = [];
  for (const r of records) {
    const id = r.event.transaction_id;
    const t = r.event.timestamp_utc;
    const v = r.verdict;
    const fired = ruleIdsOf(v);
    const decided = decidingRuleOf(v);
    evals.push({ transaction_id: id, shadow: false, rules_version: v.rules_version, verdict: v.verdict, hit: fired.length > 0, event_time: t });
    for (const rule_id of fired) hits.push({ transaction_id: id, shadow: false, rule_id, rules_version: v.rules_version, decided: rule_id === decided, event_time: t });
    const s = r.schema_version === 2 ? r.shadow_rules : undefined;
    if (s) {
      evals.push({ transaction_id: id, shadow: true, rules_version: s.rules_version, verdict: s.verdict, hit: s.hits.length > 0, event_time: t });
      // The shadow report carries ids only: "decided" is the active set's notion.
      for (const rule_id of new Set(s.hits)) hits.push({ transaction_id: id, shadow: true, rule_id, rules_version: s.rules_version, decided: false, event_time: t });
    }
  }
  return { evals, hits };
}

export async function insertRuleHits(sql: SqlQuery, records: readonly ScoredEvent[]): Promise<void> {
  const { evals, hits } = liveRows(records);
  if (evals.length > 0) {
    await sql.query(
      `INSERT INTO fraud_ops.rule_evaluations (transaction_id, shadow, rules_version, verdict, hit, event_time)
       SELECT transaction_id, shadow, rules_version, verdict, hit, event_time
         FROM jsonb_to_recordset($1::jsonb) AS x(transaction_id text, shadow boolean, rules_version text, verdict text, hit boolean, event_time timestamptz)
       ON CONFLICT (transaction_id, shadow) DO NOTHING`,
      [JSON.stringify(evals)],
    );
  }
  if (hits.length > 0) {
    await sql.query(
      `INSERT INTO fraud_ops.rule_hits (transaction_id, shadow, rule_id, rules_version, decided, event_time)
       SELECT transaction_id, shadow, rule_id, rules_version, decided, event_time
         FROM jsonb_to_recordset($1::jsonb) AS x(transaction_id text, shadow boolean, rule_id text, rules_version text, decided boolean, event_time timestamptz)
       ON CONFLICT (transaction_id, shadow, rule_id) DO NOTHING`,
      [JSON.stringify(hits)],
    );
  }
}

const ratio = (a: number, b: number): number | null => (b === 0 ? null : Math.round((a / b) * 1e6) / 1e6);

interface SideFigures {
  evaluated: number;
  hits: number;
  flagged: number;
  labelled_hits: number;
  fraud_hits: number;
  precision: number | null;
  rules: Array<{ rule_id: string; hits: number; decided: number; labelled: number; frauds: number; precision: number | null }>;
}

/** The version's rows (either role) over [from, to) and the active set's rows on the same transactions. */
const SCOPE = `SELECT transaction_id FROM fraud_ops.rule_evaluations WHERE rules_version = $1 AND event_time >= $2 AND event_time < $3`;
/** side: 'v' = the version's own rows, 'a' = the active set's on the same transactions. */
const SIDES = `(SELECT 'v' AS side, e.* FROM fraud_ops.rule_evaluations e WHERE e.rules_version = $1 AND e.event_time >= $2 AND e.event_time < $3
               UNION ALL
               SELECT 'a' AS side, e.* FROM fraud_ops.rule_evaluations e WHERE e.shadow = false AND e.transaction_id IN (${SCOPE}))`;

export interface LiveStats {
  roles: Array<"active" | "shadow">;
  version_figures: SideFigures;
  active_figures: SideFigures & { versions: string[] };
  verdicts_changed: { flagged_only_by_version: number; flagged_only_by_active: number };
}

export async function liveStats(sql: SqlQuery, version: string, fromIso: string, toIso: string): Promise<LiveStats> {
  const p = [version, fromIso, toIso];
  const sums = await sql.query<{ side: string; evaluated: number; hits: number; flagged: number; labelled_hits: number; fraud_hits: number }>(
    `SELECT s.side, count(*)::int AS evaluated, count(*) FILTER (WHERE s.hit)::int AS hits,
            count(*) FILTER (WHERE s.verdict <> 'APPROVED')::int AS flagged,
            count(*) FILTER (WHERE s.hit AND l.is_fraud IS NOT NULL)::int AS labelled_hits,
            count(*) FILTER (WHERE s.hit AND l.is_fraud)::int AS fraud_hits
       FROM ${SIDES} s LEFT JOIN fraud_ops.current_labels l ON l.transaction_id = s.transaction_id
      GROUP BY s.side`,
    p,
  );
  const meta = await sql.query<{ rules_version: string }>(`SELECT DISTINCT rules_version FROM ${SIDES} s WHERE s.side = 'a' ORDER BY rules_version`, p);
  const roles = await sql.query<{ shadow: boolean }>(
    "SELECT DISTINCT shadow FROM fraud_ops.rule_evaluations WHERE rules_version = $1 AND event_time >= $2 AND event_time < $3",
    p,
  );
  const rules = await sql.query<{ side: string; rule_id: string; hits: number; decided: number; labelled: number; frauds: number }>(
    `SELECT s.side, h.rule_id, count(*)::int AS hits, count(*) FILTER (WHERE h.decided)::int AS decided,
            count(l.is_fraud)::int AS labelled, count(*) FILTER (WHERE l.is_fraud)::int AS frauds
       FROM ${SIDES} s
       JOIN fraud_ops.rule_hits h ON h.transaction_id = s.transaction_id AND h.shadow = s.shadow
       LEFT JOIN fraud_ops.current_labels l ON l.transaction_id = s.transaction_id
      GROUP BY s.side, h.rule_id ORDER BY s.side, hits DESC, h.rule_id`,
    p,
  );
  const changed = await sql.query<{ only_v: number; only_a: number }>(
    `SELECT count(*) FILTER (WHERE v.verdict <> 'APPROVED' AND a.verdict = 'APPROVED')::int AS only_v,
            count(*) FILTER (WHERE v.verdict = 'APPROVED' AND a.verdict <> 'APPROVED')::int AS only_a
       FROM fraud_ops.rule_evaluations v JOIN fraud_ops.rule_evaluations a ON a.transaction_id = v.transaction_id AND a.shadow = false
      WHERE v.rules_version = $1 AND v.shadow = true AND v.event_time >= $2 AND v.event_time < $3`,
    p,
  );
  const side = (k: "v" | "a"): SideFigures => {
    const s = sums.rows.find((r) => r.side === k);
    const base = s ?? { evaluated: 0, hits: 0, flagged: 0, labelled_hits: 0, fraud_hits: 0 };
    return {
      evaluated: base.evaluated, hits: base.hits, flagged: base.flagged, labelled_hits: base.labelled_hits, fraud_hits: base.fraud_hits,
      precision: ratio(base.fraud_hits, base.labelled_hits),
      rules: rules.rows.filter((r) => r.side === k).map(({ side: _s, ...r }) => ({ ...r, precision: ratio(r.frauds, r.labelled) })),
    };
  };
  return {
    roles: roles.rows.map((r) => (r.shadow ? "shadow" : "active")),
    version_figures: side("v"),
    active_figures: { ...side("a"), versions: meta.rows.map((m) => m.rules_version) },
    verdicts_changed: { flagged_only_by_version: changed.rows[0]?.only_v ?? 0, flagged_only_by_active: changed.rows[0]?.only_a ?? 0 },
  };
}
