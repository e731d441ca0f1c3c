import type cassandra from "cassandra-driver";

/**
 * A cassandra-driver Client stand-in that records the fraud_alerts rows the real Cassandra store
 * binds (column → value), so a test can compare them with what another sink wrote.
 */
export function recordingCassandra(): { client: cassandra.Client; inserts: Array<Record<string, unknown>> } {
  const inserts: Array<Record<string, unknown>> = [];
  const record = (query: string, params: unknown[]) => {
    const m = /^INSERT INTO \S+\.fraud_alerts \(([^)]+)\)/.exec(query);
    if (m) inserts.push(Object.fromEntries(m[1]!.split(",").map((c, i) => [c.trim(), params[i]])));
  };
  const empty = { rows: [], first: () => null };
  const client = {
    execute: async (query: string, params: unknown[] = []) => (record(query, params), empty),
    batch: async (queries: Array<{ query: string; params: unknown[] }>) => void queries.forEach((q) => record(q.query, q.params)),
  };
  return { client: client as unknown as cassandra.Client, inserts };
}

/** A fraud_alerts row as an Alert: Parquet and Cassandra columns minus Kafka position and hive partition columns. */
export function alertColumns(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row)
      .filter(([k]) => !k.startsWith("kafka_") && !["year", "month", "day", "hour"].includes(k))
      .map(([k, v]) => [k, v instanceof Date ? v.toISOString() : k === "rule_triggers" && typeof v === "string" ? JSON.parse(v) : v]),
  );
}
