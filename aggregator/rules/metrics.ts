import { Counter, Gauge, type Registry } from "prom-client";
import { defaultRuleSet } from "../../core/engine-default.js";
import { ruleState } from "./store.js";
import type { SqlQuery } from "../ports/index.js";

// Per-rule live statistics for Prometheus, read from SQL at scrape time (rule_hits and
// rule_evaluations, written by the rule-hits sink): for every rule of the active set (the edge's
// bundled set while none was activated through the API, since that is what decides), hits over
// the last day, the share of the day's verdicts it decided, and precision over the labelled hits
// of the last 30 days. Labels are bounded: rule ids of the active set only (a rule set is
// validated and has at most a few hundred rules). Read at most every `cacheMs`, so a fast scrape
// interval does not become a load on the database.

const DAY_MS = 86_400_000;

export interface RuleMetricsOptions {
  now?: () => number;
  cacheMs?: number;
  onError?: (e: unknown) => void;
}

interface Row { rule_id: string; hits_1d: number; decided_1d: number; labelled_30d: number; frauds_30d: number }

export function createRuleMetrics(registry: Registry, sql: SqlQuery, opts: RuleMetricsOptions = {}): void {
  const now = opts.now ?? Date.now;
  const cacheMs = opts.cacheMs ?? 30_000;
  const registers = [registry];
  const errors = new Counter({ name: "vigil_rule_stats_collect_errors_total", help: "Failed reads of per-rule statistics at scrape time", registers });
  let cached: { at: number; version: string; ids: string[]; total: number; rows: Row[] } | undefined;
  let pending: Promise<typeof cached> | undefined;

  const read = async () => {
    const state = await ruleState(sql);
    const since1d = new Date(now() - DAY_MS).toISOString();
    const since30d = new Date(now() - 30 * DAY_MS).toISOString();
    const bundled = defaultRuleSet();
    const version = state.active ?? bundled.version;
    // The set's rule ids, so a rule that never fired reads 0 rather than nothing.
    const ids = state.active === null
      ? bundled.rules.map((r) => r.id)
      : (await sql.query<{ id: string }>("SELECT r->>'id' AS id FROM fraud_ops.rule_sets, jsonb_array_elements(body->'rules') AS r WHERE version = $1", [version])).rows.map((r) => r.id);
    const total = await sql.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM fraud_ops.rule_evaluations WHERE shadow = false AND rules_version = $1 AND event_time >= $2",
      [version, since1d],
    );
    const { rows } = await sql.query<Row>(
      `SELECT h.rule_id,
              count(*) FILTER (WHERE h.event_time >= $2)::int AS hits_1d,
              count(*) FILTER (WHERE h.event_time >= $2 AND h.decided)::int AS decided_1d,
              count(l.is_fraud)::int AS labelled_30d,
              count(*) FILTER (WHERE l.is_fraud)::int AS frauds_30d
         FROM fraud_ops.rule_hits h LEFT JOIN fraud_ops.current_labels l ON l.transaction_id = h.transaction_id
        WHERE h.shadow = false AND h.rules_version = $1 AND h.event_time >= $3
        GROUP BY h.rule_id`,
      [version, since1d, since30d],
    );
    return { at: now(), version, ids, total: total.rows[0]?.n ?? 0, rows };
  };

  const snapshot = async () => {
    if (cached && now() - cached.at < cacheMs) return cached;
    pending ??= read().finally(() => (pending = undefined));
    try {
      cached = await pending;
    } catch (e) {
      // A failed read keeps the last values (the scrape must not fail) and is counted.
      errors.inc();
      opts.onError?.(e);
    }
    return cached;
  };

  const gauge = (name: string, help: string, value: (r: Row, total: number) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ["rule_id"],
      registers,
      async collect() {
        const s = await snapshot();
        this.reset();
        if (!s) return;
        const by = new Map(s.rows.map((r) => [r.rule_id, r]));
        for (const id of s.ids) this.set({ rule_id: id }, value(by.get(id) ?? { rule_id: id, hits_1d: 0, decided_1d: 0, labelled_30d: 0, frauds_30d: 0 }, s.total));
      },
    });

  gauge("vigil_rule_hits_1d", "Hits of each active rule over the last 24 h of event time", (r) => r.hits_1d);
  gauge("vigil_rule_decided_share_1d", "Share of the last 24 h's verdicts (active rule set) that each rule decided (its reason contributed most to a REVIEW/BLOCKED)", (r, total) => (total > 0 ? r.decided_1d / total : 0));
  // NaN (not 0) while no hit is labelled: unknown is not "never right".
  gauge("vigil_rule_precision_30d", "Precision of each active rule over its labelled hits of the last 30 days (NaN with none labelled)", (r) => (r.labelled_30d > 0 ? r.frauds_30d / r.labelled_30d : Number.NaN));
  gauge("vigil_rule_labelled_hits_30d", "Labelled hits of each active rule over the last 30 days (the precision's denominator)", (r) => r.labelled_30d);
}
