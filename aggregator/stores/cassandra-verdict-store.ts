import cassandra from "cassandra-driver";
import type { Alert, ScoredEvent } from "../../core/schemas.js";
import type { StoredVerdict, UserRiskState, VerdictStore } from "../ports/index.js";
import { toCassandraPortError } from "./cassandra-errors.js";
import { activityOf, DAY_MS, DEFAULT_RISK_TIERS, riskStateOf, stateVersion, type CardActivity, type RiskTierConfig } from "./risk.js";

// VerdictStore on Cassandra (aggregator/schema/cassandra/schema.cql + vigil-hot-store.cql). Prepared
// statements at LOCAL_QUORUM; batches only ever group rows of ONE partition (unlogged, so they
// are a single mutation), everything cross-partition runs as concurrent single writes, at most
// `concurrency` in flight.
//
// The write path never reads: a verdict batch is blind, idempotent upserts only (the verdict row
// by transaction id, the card's card_activity rows keyed by event time and transaction id, alert
// rows by card and time). Re-delivery rewrites the same cells with the same values, so nothing
// can be counted twice. The per-card 24 h counters and tier of user_risk_state are derived when
// they are read (getUserRisk): the card's latest activity row, its window (latest − 24 h, latest]
// and its alert count over the lookback — the same function (risk.ts) and the same result the
// old write-time refresh stored, at one card's reads per lookup instead of three reads per card
// per ingested batch. An explicit upsertUserRisk row (USING TIMESTAMP stateVersion) still wins
// when it is newer than what the activity log gives (and is all there is once a card's activity
// rows have expired, 25 h after they were written).

const { types } = cassandra;
type Row = cassandra.types.Row;

export interface CassandraVerdictStoreOptions {
  keyspace?: string;
  riskTiers?: RiskTierConfig;
  consistency?: number;
  /** Parallel single-partition writes per call. */
  concurrency?: number;
  now?: () => number;
}

/** The fraud_alerts columns the alert INSERT binds, in the order of `alertParams`. */
export const ALERT_INSERT_COLUMNS = [
  "card_number_hash", "alert_timestamp", "transaction_id", "fraud_score", "fraud_reason", "action_taken", "rule_triggers", "ml_score",
] as const;

/** An alert row as the fraud_alerts INSERT binds it (ALERT_INSERT_COLUMNS order). */
export function alertParams(a: Alert): unknown[] {
  return [a.card_number_hash, new Date(Date.parse(a.alert_timestamp)), a.transaction_id, a.fraud_score, a.fraud_reason, a.action_taken, a.rule_triggers, a.ml_score];
}

export function createCassandraVerdictStore(client: cassandra.Client, options: CassandraVerdictStoreOptions = {}): VerdictStore {
  const ks = options.keyspace ?? "fraud_keyspace";
  if (!/^[a-z_][a-z0-9_]{0,47}$/.test(ks)) throw new Error(`invalid keyspace name ${ks}`);
  const tiers = options.riskTiers ?? DEFAULT_RISK_TIERS;
  const now = options.now ?? Date.now;
  const concurrency = options.concurrency ?? 64;
  const qo = { prepare: true, consistency: options.consistency ?? types.consistencies.localQuorum };

  const cql = {
    putVerdict: `INSERT INTO ${ks}.verdicts_by_transaction (transaction_id, card_number_hash, fraud_score, verdict, confidence,
      rule_triggers, ml_score, reasons, model_version, rules_version, latency_ms, region, channel, merchant_category_code,
      amount_usd, timestamp_utc, processed_at, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    getVerdict: `SELECT record, processed_at FROM ${ks}.verdicts_by_transaction WHERE transaction_id = ?`,
    putActivity: `INSERT INTO ${ks}.card_activity (card_number_hash, event_ts, transaction_id, amount_usd, verdict, device_id, country)
      VALUES (?, ?, ?, ?, ?, ?, ?)`,
    // newest first (clustering order): the latest row, then everything after the lower bound
    latest: `SELECT event_ts FROM ${ks}.card_activity WHERE card_number_hash = ? LIMIT 1`,
    window: `SELECT event_ts, transaction_id, amount_usd, verdict, device_id, country FROM ${ks}.card_activity
      WHERE card_number_hash = ? AND event_ts > ?`,
    putAlert: `INSERT INTO ${ks}.fraud_alerts (${ALERT_INSERT_COLUMNS.join(", ")}) VALUES (${ALERT_INSERT_COLUMNS.map(() => "?").join(", ")})`,
    alerts: `SELECT transaction_id, alert_timestamp, fraud_score, fraud_reason, action_taken, rule_triggers, ml_score
      FROM ${ks}.fraud_alerts WHERE card_number_hash = ? AND alert_timestamp >= ? LIMIT ?`,
    countAlerts: `SELECT COUNT(*) AS n FROM ${ks}.fraud_alerts WHERE card_number_hash = ? AND alert_timestamp >= ?`,
    putRisk: `INSERT INTO ${ks}.user_risk_state (user_id, risk_tier, tx_count_24hr, spend_total_24hr, last_seen_country,
      last_device_id, last_updated) VALUES (?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?`,
    getRisk: `SELECT risk_tier, tx_count_24hr, spend_total_24hr, last_seen_country, last_device_id, last_updated
      FROM ${ks}.user_risk_state WHERE user_id = ?`,
  };

  async function run(what: string, query: string, params: unknown[], fetchSize?: number): Promise<cassandra.types.ResultSet> {
    try {
      return await client.execute(query, params, fetchSize ? { ...qo, fetchSize } : qo);
    } catch (e) {
      throw toCassandraPortError(what, e);
    }
  }

  async function partitionBatch(what: string, queries: Array<{ query: string; params: unknown[] }>): Promise<void> {
    if (queries.length === 0) return;
    try {
      if (queries.length === 1) await client.execute(queries[0]!.query, queries[0]!.params, qo);
      else await client.batch(queries, { ...qo, logged: false });
    } catch (e) {
      throw toCassandraPortError(what, e);
    }
  }

  /** Runs fn over items with at most `concurrency` in flight; the first failure wins. */
  async function eachConcurrent<T>(items: T[], fn: (t: T) => Promise<void>): Promise<void> {
    let next = 0;
    const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    });
    await Promise.all(workers);
  }

  const groupBy = <T>(items: T[], key: (t: T) => string): T[][] => {
    const m = new Map<string, T[]>();
    for (const t of items) {
      const k = key(t);
      const list = m.get(k);
      if (list) list.push(t);
      else m.set(k, [t]);
    }
    return [...m.values()];
  };

  async function countAlerts(cardHash: string, sinceMs: number): Promise<number> {
    const rs = await run("count alerts", cql.countAlerts, [cardHash, new Date(sinceMs)]);
    return Number(rs.first()?.get("n") ?? 0);
  }

  async function writeRisk(s: UserRiskState): Promise<void> {
    await run("upsert user_risk_state", cql.putRisk, [
      s.user_id, s.risk_tier, s.tx_count_24hr, s.spend_total_24hr, s.last_seen_country, s.last_device_id,
      new Date(Date.parse(s.last_updated)), types.Long.fromNumber(stateVersion(s)),
    ]);
  }

  /**
   * The card's state derived from its activity log: one read for the latest row, one for its
   * 24 h window, one alert count. Undefined when the card has no (unexpired) activity.
   */
  async function derivedRisk(cardHash: string): Promise<UserRiskState | undefined> {
    const head = (await run("latest activity", cql.latest, [cardHash])).first();
    if (!head) return undefined;
    const latestMs = (head.get("event_ts") as Date).getTime();
    const rs = await run("activity window", cql.window, [cardHash, new Date(latestMs - DAY_MS)], 10_000);
    const window: CardActivity[] = rs.rows.map((r: Row) => ({
      card_number_hash: cardHash,
      event_ms: (r.get("event_ts") as Date).getTime(),
      transaction_id: r.get("transaction_id") as string,
      amount_usd: r.get("amount_usd") as number,
      verdict: r.get("verdict") as string,
      device_id: (r.get("device_id") as string | null) ?? null,
      country: (r.get("country") as string | null) ?? null,
    }));
    const alerts = await countAlerts(cardHash, latestMs - tiers.lookbackDays * DAY_MS);
    return riskStateOf(cardHash, window, alerts, tiers);
  }

  async function storedRisk(cardHash: string): Promise<UserRiskState | undefined> {
    const r = (await run("get user_risk_state", cql.getRisk, [cardHash])).first();
    if (!r) return undefined;
    return {
      user_id: cardHash,
      risk_tier: r.get("risk_tier") as UserRiskState["risk_tier"],
      tx_count_24hr: r.get("tx_count_24hr") as number,
      spend_total_24hr: r.get("spend_total_24hr") as number,
      last_seen_country: (r.get("last_seen_country") as string | null) ?? null,
      last_device_id: (r.get("last_device_id") as string | null) ?? null,
      last_updated: (r.get("last_updated") as Date).toISOString(),
    };
  }

  return {
    async putVerdicts(records: ScoredEvent[]): Promise<void> {
      if (records.length === 0) return;
      const unique = [...new Map(records.map((r) => [r.event.transaction_id, r])).values()];
      const processedAt = new Date(now());
      const activity = unique.map(activityOf);
      const byCard = groupBy(activity, (a) => a.card_number_hash);
      const writeVerdicts = eachConcurrent(unique, async (r) => {
        const v = r.verdict;
        await run("put verdict", cql.putVerdict, [
          r.event.transaction_id, r.event.card_number_hash, v.fraud_score, v.verdict, v.confidence, v.rule_triggers,
          v.ml_score, JSON.stringify(v.reasons), v.model_version, v.rules_version, v.latency_ms, r.region, r.event.channel,
          r.event.merchant_category_code, r.event.amount_usd, new Date(Date.parse(r.event.timestamp_utc)), processedAt, JSON.stringify(r),
        ]);
      });
      const writeActivity = eachConcurrent(byCard, (acts) =>
        partitionBatch(
          "put card_activity",
          acts.map((a) => ({
            query: cql.putActivity,
            params: [a.card_number_hash, new Date(a.event_ms), a.transaction_id, a.amount_usd, a.verdict, a.device_id, a.country],
          })),
        ),
      );
      // both settle before the call returns, and the first failure is the one reported
      const [v, a] = await Promise.allSettled([writeVerdicts, writeActivity]);
      if (v.status === "rejected") throw v.reason;
      if (a.status === "rejected") throw a.reason;
    },

    async getVerdict(transactionId: string): Promise<StoredVerdict | undefined> {
      const row = (await run("get verdict", cql.getVerdict, [transactionId])).first();
      const record = row?.get("record") as string | null | undefined;
      if (!row || !record) return undefined;
      return { record: JSON.parse(record) as ScoredEvent, processed_at: (row.get("processed_at") as Date).toISOString() };
    },

    async putAlerts(alerts: Alert[]): Promise<void> {
      await eachConcurrent(groupBy(alerts, (a) => a.card_number_hash), (group) =>
        partitionBatch(
          "put alerts",
          group.map((a) => ({
            query: cql.putAlert,
            params: alertParams(a),
          })),
        ),
      );
    },

    async alertsForCard(cardHash: string, options: { limit: number; sinceMs?: number }): Promise<Alert[]> {
      const limit = Math.floor(options.limit);
      if (limit <= 0) return [];
      const rs = await run("alerts for card", cql.alerts, [cardHash, new Date(options.sinceMs ?? 0), limit]);
      return rs.rows.map((r: Row) => ({
        card_number_hash: cardHash,
        transaction_id: r.get("transaction_id") as string,
        alert_timestamp: (r.get("alert_timestamp") as Date).toISOString(),
        fraud_score: r.get("fraud_score") as number,
        fraud_reason: r.get("fraud_reason") as string,
        action_taken: r.get("action_taken") as Alert["action_taken"],
        rule_triggers: (r.get("rule_triggers") as string[] | null) ?? [],
        ml_score: r.get("ml_score") as number,
      }));
    },

    countAlertsForCard: countAlerts,

    upsertUserRisk: writeRisk,

    async getUserRisk(cardHash: string): Promise<UserRiskState | undefined> {
      const [derived, stored] = await Promise.all([derivedRisk(cardHash), storedRisk(cardHash)]);
      if (!derived || !stored) return derived ?? stored;
      return stateVersion(stored) > stateVersion(derived) ? stored : derived;
    },
  };
}
