import type { Alert, ScoredEvent } from "../../core/schemas.js";
import type { Archive, MessageBatch, RawTransaction } from "../ports.js";
import { ALERT_COLUMNS, RAW_TRANSACTION_COLUMNS, toParquet, VERDICT_COLUMNS, type Positioned } from "./parquet.js";
import { parseBatch, type ParsedMessage, type SinkSchema } from "./parse.js";
import type { BatchHandler } from "./store-sinks.js";

// Archive sink: each partition batch becomes Parquet files, one per EVENT hour it touches,
//   <prefix>/year=YYYY/month=MM/day=DD/hour=HH/part-<partition>-<first offset of the batch>.parquet
//
// Why this is exactly-once with commit-after-every-batch: the runner commits a batch's offsets
// only after this handler resolved, so the only re-delivery is of an uncommitted batch, and it
// always restarts at the committed offset, i.e. at THIS batch's first offset. The re-delivered
// batch therefore derives the same keys and overwrites the same objects with the same rows (or a
// superset when more messages arrived meanwhile) instead of adding a duplicate file, and the next
// batch starts after the last committed offset, so no message lands in two keys.
// One corner remains: if a failed attempt had already written an hour file and the retry's batch
// is SMALLER and ends before that hour's rows, the stale file keeps rows that the next batch
// writes again under its own first offset. Every row carries kafka_partition + kafka_offset, so
// readers de-duplicate exactly on them (SELECT DISTINCT ON / QUALIFY by offset).

export const DEFAULT_ARCHIVE_PREFIXES: Record<SinkSchema, string> = {
  "vigil.raw-transaction": "raw/transactions",
  "vigil.scored-event": "verdicts",
  "vigil.alert": "fraud_alerts",
};

export interface ArchiveSinkOptions {
  /** Prefix per topic (as the batch names it), e.g. {"fraud-verdicts": "verdicts"}; else by schema. */
  prefixByTopic?: Record<string, string>;
  /** Put in front of every key (test isolation, several environments in one bucket). */
  rootPrefix?: string;
}

const pad = (n: number | string, width: number) => String(n).padStart(width, "0");

/** The partition folder of an event time, in UTC. */
export function hourPath(eventIso: string): string {
  const d = new Date(Date.parse(eventIso));
  return `year=${d.getUTCFullYear()}/month=${pad(d.getUTCMonth() + 1, 2)}/day=${pad(d.getUTCDate(), 2)}/hour=${pad(d.getUTCHours(), 2)}`;
}

export function archiveKey(prefix: string, eventIso: string, partition: number, firstOffset: string): string {
  return `${prefix}/${hourPath(eventIso)}/part-${pad(partition, 5)}-${pad(firstOffset, 20)}.parquet`;
}

const eventTimeOf = (m: ParsedMessage): string =>
  m.schema === "vigil.alert" ? m.payload.alert_timestamp : m.payload.event.timestamp_utc;

export function createArchiveSink(archive: Archive, options: ArchiveSinkOptions = {}): BatchHandler {
  const root = options.rootPrefix ? `${options.rootPrefix.replace(/\/+$/, "")}/` : "";
  return async (batch: MessageBatch) => {
    const parsed = parseBatch("archive sink", batch, ["vigil.raw-transaction", "vigil.scored-event", "vigil.alert"]);
    const first = batch.messages[0];
    if (first === undefined) return;
    const firstOffset = first.position.offset;
    // group by (schema, event hour); a topic normally carries one schema
    const groups = new Map<string, { schema: SinkSchema; rows: ParsedMessage[]; key: string }>();
    for (const m of parsed) {
      const prefix = options.prefixByTopic?.[batch.topic] ?? DEFAULT_ARCHIVE_PREFIXES[m.schema];
      const key = root + archiveKey(prefix, eventTimeOf(m), batch.partition, firstOffset);
      const g = groups.get(`${m.schema}|${key}`) ?? { schema: m.schema, rows: [], key };
      g.rows.push(m);
      groups.set(`${m.schema}|${key}`, g);
    }
    // sequential: a 2-core box gains nothing from parallel encoding, and the order is deterministic
    for (const g of groups.values()) {
      await archive.put(g.key, encode(g.schema, g.rows), "application/vnd.apache.parquet");
    }
  };
}

function encode(schema: SinkSchema, rows: ParsedMessage[]): Uint8Array {
  const positioned = <T>() => rows.map((m) => ({ payload: m.payload, position: m.position }) as Positioned<T>);
  switch (schema) {
    case "vigil.raw-transaction":
      return toParquet(RAW_TRANSACTION_COLUMNS, positioned<RawTransaction>());
    case "vigil.scored-event":
      return toParquet(VERDICT_COLUMNS, positioned<ScoredEvent>());
    case "vigil.alert":
      return toParquet(ALERT_COLUMNS, positioned<Alert>());
  }
}
