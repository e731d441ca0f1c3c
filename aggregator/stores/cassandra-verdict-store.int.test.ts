import cassandra from "cassandra-driver";
import { describe, expect, it } from "vitest";
import { CQL_DIR } from "../testing/paths.js";
import { alertOf, HOUR_MS, iso, scoredEvent, uniq } from "../testing/scored-events.js";
import { verdictStoreContract } from "../testing/verdict-store.contract.js";
import { applyCqlDir } from "../schema/migrate.js";
import { createCassandraVerdictStore } from "./cassandra-verdict-store.js";

// The production hot store on the real Cassandra (127.0.0.1:9042, infra/stack.sh).
const contactPoint = `${process.env.CASSANDRA_HOST ?? "127.0.0.1"}:${process.env.CASSANDRA_PORT ?? "9042"}`;
const localDataCenter = process.env.CASSANDRA_DC ?? "datacenter1";
const connect = (points = [contactPoint]) => new cassandra.Client({ contactPoints: points, localDataCenter, socketOptions: { connectTimeout: 3000, readTimeout: 30_000 } });

let client: cassandra.Client;
const T0 = Date.parse("2026-03-10T08:00:00.000Z");

describe("applyCqlDir on Cassandra", () => {
  it("creates the keyspace and tables, and running it again (twice at once) changes nothing", async () => {
    const c = connect();
    try {
      await applyCqlDir(c, CQL_DIR);
      const again = await Promise.all([applyCqlDir(c, CQL_DIR), applyCqlDir(c, CQL_DIR)]);
      expect(again[0].statements + again[0].skipped).toBeGreaterThan(4);
      const rs = await c.execute("SELECT table_name FROM system_schema.tables WHERE keyspace_name = 'fraud_keyspace'");
      expect(rs.rows.map((r) => r.get("table_name") as string).sort()).toEqual(
        expect.arrayContaining(["card_activity", "fraud_alerts", "user_risk_state", "verdicts_by_transaction"]),
      );
    } finally {
      await c.shutdown();
    }
  });
});

verdictStoreContract("Cassandra", {
  async setup() {
    client = connect();
    await applyCqlDir(client, CQL_DIR);
    return createCassandraVerdictStore(client);
  },
  teardown: () => client.shutdown(),
  async withoutSchema() {
    const c = connect();
    return { store: createCassandraVerdictStore(c, { keyspace: "vigil_no_such_keyspace" }), close: () => c.shutdown() };
  },
  async unreachable() {
    const c = connect(["127.0.0.1:1"]);
    return { store: createCassandraVerdictStore(c), close: () => c.shutdown() };
  },
});

describe("Cassandra hot store write path", () => {
  it("never reads before it writes: a verdict batch (replayed) issues no SELECT, and the state read afterwards is exact", async () => {
    const c = connect();
    try {
      await applyCqlDir(c, CQL_DIR);
      // Count the statements the store sends through the real client (execute and batch).
      const sent: string[] = [];
      const execute = c.execute.bind(c);
      const batch = c.batch.bind(c);
      const counting = Object.assign(Object.create(c) as cassandra.Client, {
        execute: (q: string, ...rest: unknown[]) => {
          sent.push(q);
          return (execute as (q: string, ...r: unknown[]) => Promise<cassandra.types.ResultSet>)(q, ...rest);
        },
        batch: (qs: Array<{ query: string }>, ...rest: unknown[]) => {
          sent.push(...qs.map((x) => x.query));
          return (batch as (q: unknown, ...r: unknown[]) => Promise<cassandra.types.ResultSet>)(qs, ...rest);
        },
      });
      const store = createCassandraVerdictStore(counting);
      const card = `card_${uniq()}`;
      const events = [0, 1, 2].map((h) => scoredEvent({ card, ts: iso(T0 + h * HOUR_MS), amount: 10 + h, verdict: h === 2 ? "REVIEW" : "APPROVED" }));
      await store.putAlerts([alertOf(events[2]!)]);
      await store.putVerdicts(events);
      await store.putVerdicts([events[2]!, events[0]!]); // re-delivery, batched differently
      expect(sent.filter((q) => /^\s*SELECT/i.test(q))).toEqual([]);
      expect(sent.length).toBeGreaterThan(0);
      expect(await store.getUserRisk(card)).toMatchObject({ tx_count_24hr: 3, spend_total_24hr: 33, risk_tier: "MEDIUM", last_updated: iso(T0 + 2 * HOUR_MS) });
    } finally {
      await c.shutdown();
    }
  });
});
