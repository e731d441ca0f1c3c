import { DuckDBInstance } from "@duckdb/node-api";

// An independent Parquet reader for tests (DuckDB's own C++ reader, not hyparquet): what a data
// engineer's query engine will see in the archive.

export interface ParquetReadout {
  columns: Record<string, string>;
  rows: Array<Record<string, unknown>>;
}

export async function readParquetWithDuckDb(files: string[], orderBy = "kafka_offset"): Promise<ParquetReadout> {
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  try {
    const list = `[${files.map((f) => `'${f.replace(/'/g, "''")}'`).join(", ")}]`;
    const desc = await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${list})`);
    const columns = Object.fromEntries(desc.getRowObjectsJS().map((r) => [String(r.column_name), String(r.column_type)]));
    const data = await conn.runAndReadAll(`SELECT * FROM read_parquet(${list}) ORDER BY ${orderBy}`);
    return { columns, rows: data.getRowObjectsJS() as Array<Record<string, unknown>> };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
