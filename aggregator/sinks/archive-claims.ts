import { PortError, type SqlQueryable } from "../ports/index.js";

// Which log position owns each event in the archive (fraud_ingest.archive_claims, migration 023),
// shared by every archive consumer process. The first position a key is seen at claims it; a
// duplicate message at another offset (an edge retry after a slow publish, a publish that raced a
// deadline) finds the claim taken and is not written; a re-delivery of the same position finds
// its own claim and rewrites its row (overwriting the same object, see archive-sink.ts).

export interface ClaimRequest {
  key: string;
  partition: number;
  offset: string;
}

export interface ArchiveClaims {
  /** The owning position of each key ("partition:offset"); every requested key is answered. */
  claim(stream: string, requests: ClaimRequest[]): Promise<Map<string, string>>;
}

export const positionOf = (partition: number, offset: string) => `${partition}:${offset}`;

export function createSqlArchiveClaims(sql: SqlQueryable): ArchiveClaims {
  return {
    async claim(stream, requests) {
      const out = new Map<string, string>();
      if (requests.length === 0) return out;
      const rows = requests.map((r) => ({ k: r.key, p: r.partition, o: Number(r.offset) }));
      // New claims come back from RETURNING; existing ones from the table (the statement's
      // snapshot). A claim committed by another process meanwhile is in neither: retried.
      const { rows: got } = await sql.query<{ k: string; p: number; o: string }>(
        `WITH input AS (SELECT k, p, o FROM jsonb_to_recordset($2::jsonb) AS x(k text, p int, o bigint)),
         ins AS (
           INSERT INTO fraud_ingest.archive_claims (stream, idempotency_key, kafka_partition, kafka_offset)
           SELECT $1, k, p, o FROM input
           ON CONFLICT (stream, idempotency_key) DO NOTHING
           RETURNING idempotency_key AS k, kafka_partition AS p, kafka_offset AS o)
         SELECT k, p, o::text AS o FROM ins
         UNION ALL
         SELECT c.idempotency_key, c.kafka_partition, c.kafka_offset::text
           FROM fraud_ingest.archive_claims c JOIN input i ON c.stream = $1 AND c.idempotency_key = i.k`,
        [stream, JSON.stringify(rows)],
      );
      for (const r of got) out.set(r.k, positionOf(Number(r.p), String(r.o)));
      const missing = requests.filter((r) => !out.has(r.key));
      if (missing.length > 0) throw new PortError(`archive claims: ${missing.length} keys claimed concurrently; retry`, true);
      return out;
    },
  };
}
