import type { Alert, ScoredEvent } from "../../core/schemas.js";
import type { StoredVerdict, UserRiskState, VerdictStore, SqlClient, SqlQueryable } from "../ports/index.js";
import { activityOf, cardsIn, DAY_MS, DEFAULT_RISK_TIERS, riskStateOf, stateVersion, type CardActivity, type RiskTierConfig } from "./risk.js";

// VerdictStore on SQL (schema fraud_hot, aggregator/schema/postgres/005_hot_store.sql): PGlite in
// the embedded profile, and PostgreSQL where the contract suite checks it. Batches go in as one
// jsonb parameter (jsonb_to_recordset) so pg and PGlite see identical, single-statement SQL.

export interface SqlVerdictStoreOptions {
  riskTiers?: RiskTierConfig;
  /** Wall clock for processed_at (injectable for tests). */
  now?: () => number;
}

const byLast = <T>(items: T[], key: (t: T) => string): T[] => [...new Map(items.map((t) => [key(t), t])).values()];

export function createSqlVerdictStore(db: SqlClient, options: SqlVerdictStoreOptions = {}): VerdictStore {
  const tiers = options.riskTiers ?? DEFAULT_RISK_TIERS;
  const now = options.now ?? Date.now;

  async function countAlerts(q: SqlQueryable, cardHash: string, sinceMs: number): Promise<number> {
    const { rows } = await q.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM fraud_hot.fraud_alerts
        WHERE card_number_hash = $1 AND alert_timestamp >= to_timestamp($2::float8 / 1000)`,
      [cardHash, sinceMs],
    );
    return Number(rows[0]?.n ?? 0);
  }

  async function writeRisk(q: SqlQueryable, s: UserRiskState): Promise<void> {
    await q.query(
      `INSERT INTO fraud_hot.user_risk_state AS u
         (user_id, risk_tier, tx_count_24hr, spend_total_24hr, last_seen_country, last_device_id, last_updated, version)
       VALUES ($1, $2, $3, $4::numeric, $5, $6, $7::timestamptz, $8::bigint)
       ON CONFLICT (user_id) DO UPDATE SET
         risk_tier = excluded.risk_tier, tx_count_24hr = excluded.tx_count_24hr,
         spend_total_24hr = excluded.spend_total_24hr, last_seen_country = excluded.last_seen_country,
         last_device_id = excluded.last_device_id, last_updated = excluded.last_updated, version = excluded.version
       WHERE excluded.version >= u.version`,
      [s.user_id, s.risk_tier, s.tx_count_24hr, s.spend_total_24hr.toFixed(2), s.last_seen_country, s.last_device_id, s.last_updated, String(stateVersion(s))],
    );
  }

  /**
   * Recomputes the risk state of every card of a batch in three statements, whatever the number
   * of cards: each card's window (latest − 24 h, latest], its alert count over the lookback, then
   * one versioned upsert of all states.
   */
  async function refreshCards(q: SqlQueryable, cards: string[]): Promise<void> {
    if (cards.length === 0) return;
    const { rows } = await q.query<{ card: string; event_ms: number; transaction_id: string; amount: string; verdict: string; device_id: string | null; country: string | null }>(
      `WITH cards AS (SELECT DISTINCT value AS card FROM jsonb_array_elements_text($1::jsonb)),
            latest AS (SELECT c.card, (SELECT max(event_ts) FROM fraud_hot.card_activity a WHERE a.card_number_hash = c.card) AS ts FROM cards c)
       SELECT l.card, (extract(epoch FROM a.event_ts) * 1000)::float8 AS event_ms,
              a.transaction_id, a.amount::text AS amount, a.verdict, a.device_id, a.country
         FROM latest l JOIN fraud_hot.card_activity a
           ON a.card_number_hash = l.card AND a.event_ts > l.ts - interval '24 hours' AND a.event_ts <= l.ts
        ORDER BY l.card, a.event_ts DESC, a.transaction_id DESC`,
      [JSON.stringify(cards)],
    );
    const windows = new Map<string, CardActivity[]>();
    for (const r of rows) {
      const w = windows.get(r.card) ?? [];
      w.push({ card_number_hash: r.card, event_ms: Number(r.event_ms), transaction_id: r.transaction_id, amount_usd: Number(r.amount), verdict: r.verdict, device_id: r.device_id, country: r.country });
      windows.set(r.card, w);
    }
    const since = [...windows].map(([card, w]) => ({ card, since_ms: w[0]!.event_ms - tiers.lookbackDays * DAY_MS }));
    const counts = await q.query<{ card: string; n: number }>(
      `SELECT s.card, (SELECT count(*) FROM fraud_hot.fraud_alerts f
                        WHERE f.card_number_hash = s.card AND f.alert_timestamp >= to_timestamp(s.since_ms / 1000))::int AS n
         FROM jsonb_to_recordset($1::jsonb) AS s(card text, since_ms float8)`,
      [JSON.stringify(since)],
    );
    const alertsByCard = new Map(counts.rows.map((r) => [r.card, Number(r.n)]));
    const states = [...windows].flatMap(([card, w]) => {
      const st = riskStateOf(card, w, alertsByCard.get(card) ?? 0, tiers);
      return st ? [{ ...st, spend_total_24hr: st.spend_total_24hr.toFixed(2), version: String(stateVersion(st)) }] : [];
    });
    await q.query(
      `INSERT INTO fraud_hot.user_risk_state AS u
         (user_id, risk_tier, tx_count_24hr, spend_total_24hr, last_seen_country, last_device_id, last_updated, version)
       SELECT x.user_id, x.risk_tier, x.tx_count_24hr, x.spend_total_24hr, x.last_seen_country, x.last_device_id, x.last_updated, x.version
         FROM jsonb_to_recordset($1::jsonb) AS x(user_id text, risk_tier text, tx_count_24hr int, spend_total_24hr numeric,
              last_seen_country text, last_device_id text, last_updated timestamptz, version bigint)
        ORDER BY x.user_id
       ON CONFLICT (user_id) DO UPDATE SET
         risk_tier = excluded.risk_tier, tx_count_24hr = excluded.tx_count_24hr,
         spend_total_24hr = excluded.spend_total_24hr, last_seen_country = excluded.last_seen_country,
         last_device_id = excluded.last_device_id, last_updated = excluded.last_updated, version = excluded.version
       WHERE excluded.version >= u.version`,
      [JSON.stringify(states)],
    );
  }

  return {
    async putVerdicts(records: ScoredEvent[]): Promise<void> {
      if (records.length === 0) return;
      const unique = byLast(records, (r) => r.event.transaction_id);
      const processedAt = new Date(now()).toISOString();
      const verdictRows = unique.map((r) => ({
        transaction_id: r.event.transaction_id,
        card_number_hash: r.event.card_number_hash,
        verdict: r.verdict.verdict,
        fraud_score: r.verdict.fraud_score,
        event_timestamp: r.event.timestamp_utc,
        record: r,
      }));
      const activity = unique.map(activityOf).map((a) => ({ ...a, event_ts: new Date(a.event_ms).toISOString(), amount: a.amount_usd.toFixed(2) }));
      await db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO fraud_hot.verdicts_by_transaction
             (transaction_id, card_number_hash, verdict, fraud_score, event_timestamp, record, processed_at)
           SELECT x.transaction_id, x.card_number_hash, x.verdict, x.fraud_score, x.event_timestamp, x.record, $2::timestamptz
             FROM jsonb_to_recordset($1::jsonb) AS x(transaction_id text, card_number_hash text, verdict text,
                  fraud_score float8, event_timestamp timestamptz, record jsonb)
           ON CONFLICT (transaction_id) DO UPDATE SET
             card_number_hash = excluded.card_number_hash, verdict = excluded.verdict, fraud_score = excluded.fraud_score,
             event_timestamp = excluded.event_timestamp, record = excluded.record, processed_at = excluded.processed_at`,
          [JSON.stringify(verdictRows), processedAt],
        );
        await tx.query(
          `INSERT INTO fraud_hot.card_activity (card_number_hash, event_ts, transaction_id, amount, verdict, device_id, country)
           SELECT x.card_number_hash, x.event_ts, x.transaction_id, x.amount, x.verdict, x.device_id, x.country
             FROM jsonb_to_recordset($1::jsonb) AS x(card_number_hash text, event_ts timestamptz, transaction_id text,
                  amount numeric, verdict text, device_id text, country text)
           ON CONFLICT DO NOTHING`,
          [JSON.stringify(activity)],
        );
        await refreshCards(tx, cardsIn(unique).sort());
      });
    },

    async getVerdict(transactionId: string): Promise<StoredVerdict | undefined> {
      const { rows } = await db.query<{ record: string; processed_ms: number }>(
        `SELECT record::text AS record, (extract(epoch FROM processed_at) * 1000)::float8 AS processed_ms
           FROM fraud_hot.verdicts_by_transaction WHERE transaction_id = $1`,
        [transactionId],
      );
      const row = rows[0];
      if (row === undefined) return undefined;
      return { record: JSON.parse(row.record) as ScoredEvent, processed_at: new Date(Number(row.processed_ms)).toISOString() };
    },

    async putAlerts(alerts: Alert[]): Promise<void> {
      if (alerts.length === 0) return;
      const rows = byLast(alerts, (a) => `${a.card_number_hash}|${Date.parse(a.alert_timestamp)}|${a.transaction_id}`);
      await db.query(
        `INSERT INTO fraud_hot.fraud_alerts
           (card_number_hash, alert_timestamp, transaction_id, fraud_score, fraud_reason, action_taken, rule_triggers, ml_score)
         SELECT x.card_number_hash, x.alert_timestamp, x.transaction_id, x.fraud_score, x.fraud_reason, x.action_taken, x.rule_triggers, x.ml_score
           FROM jsonb_to_recordset($1::jsonb) AS x(card_number_hash text, alert_timestamp timestamptz, transaction_id text,
                fraud_score float8, fraud_reason text, action_taken text, rule_triggers jsonb, ml_score float8)
         ON CONFLICT (card_number_hash, alert_timestamp, transaction_id) DO UPDATE SET
           fraud_score = excluded.fraud_score, fraud_reason = excluded.fraud_reason, action_taken = excluded.action_taken,
           rule_triggers = excluded.rule_triggers, ml_score = excluded.ml_score`,
        [JSON.stringify(rows)],
      );
    },

    async alertsForCard(cardHash: string, options: { limit: number; sinceMs?: number }): Promise<Alert[]> {
      const { rows } = await db.query<{
        transaction_id: string; ts_ms: number; fraud_score: number; fraud_reason: string; action_taken: Alert["action_taken"]; rule_triggers: string; ml_score: number;
      }>(
        `SELECT transaction_id, (extract(epoch FROM alert_timestamp) * 1000)::float8 AS ts_ms, fraud_score, fraud_reason,
                action_taken, rule_triggers::text AS rule_triggers, ml_score
           FROM fraud_hot.fraud_alerts
          WHERE card_number_hash = $1 AND alert_timestamp >= to_timestamp($2::float8 / 1000)
          ORDER BY alert_timestamp DESC, transaction_id ASC
          LIMIT $3`,
        [cardHash, options.sinceMs ?? -62135596800000, Math.max(0, Math.floor(options.limit))],
      );
      return rows.map((r) => ({
        card_number_hash: cardHash,
        transaction_id: r.transaction_id,
        alert_timestamp: new Date(Number(r.ts_ms)).toISOString(),
        fraud_score: Number(r.fraud_score),
        fraud_reason: r.fraud_reason,
        action_taken: r.action_taken,
        rule_triggers: JSON.parse(r.rule_triggers) as string[],
        ml_score: Number(r.ml_score),
      }));
    },

    countAlertsForCard: (cardHash: string, sinceMs: number) => countAlerts(db, cardHash, sinceMs),

    upsertUserRisk: (state: UserRiskState) => writeRisk(db, state),

    async getUserRisk(cardHash: string): Promise<UserRiskState | undefined> {
      const { rows } = await db.query<{
        risk_tier: UserRiskState["risk_tier"]; tx_count_24hr: number; spend: string; last_seen_country: string | null; last_device_id: string | null; updated_ms: number;
      }>(
        `SELECT risk_tier, tx_count_24hr, spend_total_24hr::text AS spend, last_seen_country, last_device_id,
                (extract(epoch FROM last_updated) * 1000)::float8 AS updated_ms
           FROM fraud_hot.user_risk_state WHERE user_id = $1`,
        [cardHash],
      );
      const r = rows[0];
      if (r === undefined) return undefined;
      return {
        user_id: cardHash,
        risk_tier: r.risk_tier,
        tx_count_24hr: Number(r.tx_count_24hr),
        spend_total_24hr: Number(r.spend),
        last_seen_country: r.last_seen_country,
        last_device_id: r.last_device_id,
        last_updated: new Date(Number(r.updated_ms)).toISOString(),
      };
    },
  };
}

/**
 * Retention for the SQL hot store (Cassandra does this with TTLs): alerts and verdicts whose event
 * time is more than 90 days before `nowMs`, and card_activity rows that can never again fall in
 * a card's 24-hour window (older than the card's latest event − 24 h). Run it periodically.
 */
export async function pruneSqlHotStore(db: SqlClient, nowMs: number, retentionDays = 90): Promise<{ alerts: number; verdicts: number; activity: number }> {
  const cutoff = nowMs - retentionDays * DAY_MS;
  return db.transaction(async (tx) => {
    const alerts = await tx.query<{ n: number }>(
      `WITH d AS (DELETE FROM fraud_hot.fraud_alerts WHERE alert_timestamp < to_timestamp($1::float8 / 1000) RETURNING 1)
       SELECT count(*)::int AS n FROM d`,
      [cutoff],
    );
    const verdicts = await tx.query<{ n: number }>(
      `WITH d AS (DELETE FROM fraud_hot.verdicts_by_transaction WHERE event_timestamp < to_timestamp($1::float8 / 1000) RETURNING 1)
       SELECT count(*)::int AS n FROM d`,
      [cutoff],
    );
    const activity = await tx.query<{ n: number }>(
      `WITH latest AS (SELECT card_number_hash, max(event_ts) AS ts FROM fraud_hot.card_activity GROUP BY card_number_hash),
            d AS (DELETE FROM fraud_hot.card_activity a USING latest l
                   WHERE a.card_number_hash = l.card_number_hash AND a.event_ts <= l.ts - interval '24 hours' RETURNING 1)
       SELECT count(*)::int AS n FROM d`,
    );
    return { alerts: Number(alerts.rows[0]?.n ?? 0), verdicts: Number(verdicts.rows[0]?.n ?? 0), activity: Number(activity.rows[0]?.n ?? 0) };
  });
}
