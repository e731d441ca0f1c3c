import cassandra from "cassandra-driver";
import { describe, expect, it } from "vitest";
import { CQL_DIR } from "../testing/paths.js";
import { verdictStoreContract } from "../testing/verdict-store.contract.js";
import { applyCqlDir } from "../migrate.js";
import { createCassandraVerdictStore } from "./cassandra-verdict-store.js";

// The production hot store on the real Cassandra (127.0.0.1:9042, infra/stack.sh).
const contactPoint = `${process.env.CASSANDRA_HOST ?? "127.0.0.1"}:${process.env.CASSANDRA_PORT ?? "9042"}`;
const localDataCenter = process.env.CASSANDRA_DC ?? "datacenter1";
const connect = (points = [contactPoint]) => new cassandra.Client({ contactPoints: points, localDataCenter, socketOptions: { connectTimeout: 3000, readTimeout: 30_000 } });

let client: cassandra.Client;

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
