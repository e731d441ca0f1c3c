import type { Alert, ScoredEvent } from "../../core/schemas.js";
import type { Archive, LogPosition, MessageBatch, RawTransaction } from "../ports/index.js";
import type { FeatureRow } from "../bus/envelope.js";
import { ALERT_COLUMNS, FEATURE_ROW_COLUMNS, RAW_TRANSACTION_COLUMNS, toParquet, VERDICT_COLUMNS, type Positioned } from "./parquet.js";
import { parseBatch, type SinkSchema } from "./parse.js";
import type { BatchHandler } from "./store-sinks.js";
import { idempotencyKeyOf, idempotencyKeyOfPayload } from "../ingest/idempotency-key.js";
import { positionOf, type ArchiveClaims } from "./archive-claims.js";
import { DEFAULT_ARCHIVE_PREFIXES } from "../stores/archive-keys.js";

// Archive sink: each partition batch becomes Parquet files, one per EVENT hour it touches,
//   <prefix>/year=YYYY/month=MM/day=DD/hour=HH/part-<partition>-<first offset of the batch>.parquet
// except the feature store, partitioned by event date as the spec lays it out:
//   ml_features/feature_store/date=YYYY-MM-DD/part-<partition>-<first offset>.parquet
// A verdicts batch also writes the fraud_alerts/ rows of its REVIEW and BLOCKED events, the rows
// the verdict messages carry (bus/envelope.ts alertOfVerdict) like the hot store's fraud_alerts
// rows, so the archive and the table hold the same alerts (the fraud-alerts topic, BLOCKED only,
// is not archived separately).
//
// Why this is exactly-once with commit-after-every-batch: the runner commits a batch's offsets
// only after this handler resolved, so the only re-delivery is of an uncommitted batch, and it
// always restarts at the committed offset, i.e. at THIS batch's first offset. The re-delivered
// batch therefore derives the same keys and overwrites the same objects (each put is atomic) with
// the same rows, or a superset when more messages arrived, instead of adding a duplicate file;
// the next batch starts after the last committed offset, so no message lands in two keys.
//
// The one corner that overwriting alone misses: a failed attempt wrote an hour file, and the
// retry's batch is SMALLER and has no row in that hour. That file's rows all lie beyond the
// retry's end, so the batches that follow write them again under their own keys. To close it,
// each batch first records the keys it will write in a per-partition manifest
// (_manifests/<topic>/partition-<p>.json, keyed by first offset); a retry from the same first
// offset finds the earlier attempt's keys there and overwrites the ones it does not write with
// an empty Parquet file of the same schema. The manifest is written BEFORE the data, so a crash
// at any point leaves the next retry a complete list. (Every row also carries kafka_partition
// and kafka_offset, so readers can always verify uniqueness.)
//
// Overwriting by position makes each MESSAGE land once; the same EVENT published twice (an edge
// retry after a slow publish: two messages, two offsets) would still be two rows. With `claims`
// (fraud_ingest.archive_claims, shared by every process), each event's first position owns it and
// a copy at another position is left out, so each transaction is archived exactly once.


/** The feature store is read by date range (training windows); the other streams by hour. */
const DATE_PARTITIONED: ReadonlySet<SinkSchema> = new Set(["vigil.feature-row"]);

export interface ArchiveSinkOptions {
  /**
   * Prefix per topic (as the batch names it), e.g. {"fraud-verdicts": "verdicts"}, for the topic's
   * own rows; else by schema. Alert rows carried by verdicts always go under fraud_alerts.
   */
  prefixByTopic?: Record<string, string>;
  /** Put in front of every key (test isolation, several environments in one bucket). */
  rootPrefix?: string;
  /** Shared event→position ownership (exactly once per event, not only per message). */
  claims?: ArchiveClaims;
}

const pad = (n: number | string, width: number) => String(n).padStart(width, "0");

/** The partition folder of an event time, in UTC. */
export function hourPath(eventIso: string): string {
  const d = new Date(Date.parse(eventIso));
  return `year=${d.getUTCFullYear()}/month=${pad(d.getUTCMonth() + 1, 2)}/day=${pad(d.getUTCDate(), 2)}/hour=${pad(d.getUTCHours(), 2)}`;
}

/** The date folder of an event time, in UTC. */
export function datePath(eventIso: string): string {
  return `date=${new Date(Date.parse(eventIso)).toISOString().slice(0, 10)}`;
}

export function archiveKey(prefix: string, eventIso: string, partition: number, firstOffset: string, byDate = false): string {
  return `${prefix}/${byDate ? datePath(eventIso) : hourPath(eventIso)}/part-${pad(partition, 5)}-${pad(firstOffset, 20)}.parquet`;
}

/** One archived row: a message's own payload, or the alert a scored event's message carries. */
type ArchiveRow =
  | { schema: "vigil.raw-transaction"; payload: RawTransaction; position: LogPosition }
  | { schema: "vigil.scored-event"; payload: ScoredEvent; position: LogPosition }
  | { schema: "vigil.alert"; payload: Alert; position: LogPosition }
  | { schema: "vigil.feature-row"; payload: FeatureRow; position: LogPosition };

const eventTimeOf = (r: ArchiveRow): string => {
  switch (r.schema) {
    case "vigil.alert":
      return r.payload.alert_timestamp;
    case "vigil.feature-row":
      return r.payload.timestamp_utc;
    default:
      return r.payload.event.timestamp_utc;
  }
};

/**
 * The rows a batch archives, in message order: each message's payload, and after a REVIEW or
 * BLOCKED scored event its fraud_alerts row (same Kafka position as the verdict it came with).
 */
export function archiveRows(batch: MessageBatch): Array<{ row: ArchiveRow; own: boolean }> {
  const out: Array<{ row: ArchiveRow; own: boolean }> = [];
  for (const m of parseBatch("archive sink", batch, ["vigil.raw-transaction", "vigil.scored-event", "vigil.feature-row"])) {
    if (m.schema === "vigil.feature-row") out.push({ row: { schema: m.schema, payload: m.payload, position: m.position }, own: true });
    else if (m.schema === "vigil.raw-transaction") out.push({ row: { schema: m.schema, payload: m.payload, position: m.position }, own: true });
    else if (m.schema === "vigil.scored-event") {
      out.push({ row: { schema: m.schema, payload: m.payload, position: m.position }, own: true });
      if (m.alert !== undefined) out.push({ row: { schema: "vigil.alert", payload: m.alert, position: m.position }, own: false });
    }
  }
  return out;
}

const dedupeKeyOf = (row: ArchiveRow): string => {
  switch (row.schema) {
    case "vigil.scored-event":
      return idempotencyKeyOf(row.payload);
    case "vigil.raw-transaction":
      return idempotencyKeyOfPayload(row.payload, row.payload.event.transaction_id);
    case "vigil.feature-row":
      return idempotencyKeyOfPayload(row.payload, row.payload.transaction_id);
    case "vigil.alert":
      return row.payload.transaction_id;
  }
};

/** Leaves out rows whose event is owned by another log position (a duplicate message). */
async function ownedRows(claims: ArchiveClaims, stream: string, partition: number, rows: Array<{ row: ArchiveRow; own: boolean }>) {
  const first = new Map<string, string>(); // key → first offset within this batch
  for (const { row, own } of rows) if (own && !first.has(dedupeKeyOf(row))) first.set(dedupeKeyOf(row), row.position.offset);
  const owners = await claims.claim(stream, [...first].map(([key, offset]) => ({ key, partition, offset })));
  const kept = new Set<string>();
  for (const { row, own } of rows) {
    if (own && owners.get(dedupeKeyOf(row)) === positionOf(row.position.partition, row.position.offset)) kept.add(row.position.offset);
  }
  // Derived rows (alerts) follow the message they came from.
  return rows.filter(({ row }) => kept.has(row.position.offset));
}

export function createArchiveSink(archive: Archive, options: ArchiveSinkOptions = {}): BatchHandler {
  const root = options.rootPrefix ? `${options.rootPrefix.replace(/\/+$/, "")}/` : "";
  return async (batch: MessageBatch) => {
    const all = archiveRows(batch);
    const rows = options.claims ? await ownedRows(options.claims, `${root}${batch.topic}`, batch.partition, all) : all;
    const first = batch.messages[0];
    if (first === undefined) return;
    const firstOffset = first.position.offset;
    // group by (schema, event hour); a topic normally carries one schema
    const groups = new Map<string, { schema: SinkSchema; rows: ArchiveRow[]; key: string }>();
    for (const { row, own } of rows) {
      const prefix = (own ? options.prefixByTopic?.[batch.topic] : undefined) ?? DEFAULT_ARCHIVE_PREFIXES[row.schema];
      const key = root + archiveKey(prefix, eventTimeOf(row), batch.partition, firstOffset, DATE_PARTITIONED.has(row.schema));
      const g = groups.get(`${row.schema}|${key}`) ?? { schema: row.schema, rows: [], key };
      g.rows.push(row);
      groups.set(`${row.schema}|${key}`, g);
    }
    const manifestKey = `${root}_manifests/${batch.topic}/partition-${pad(batch.partition, 5)}.json`;
    const writing = [...groups.values()].map((g) => ({ key: g.key, schema: g.schema }));
    const previous = parseManifest(await archive.get(manifestKey));
    const stale = previous?.first_offset === firstOffset ? previous.keys.filter((p) => !writing.some((w) => w.key === p.key)) : [];
    const manifest: Manifest = { first_offset: firstOffset, keys: [...writing, ...stale] };
    await archive.put(manifestKey, new TextEncoder().encode(JSON.stringify(manifest)), "application/json");
    // sequential: a 2-core box gains nothing from parallel encoding, and the order is deterministic
    for (const g of groups.values()) {
      await archive.put(g.key, encode(g.schema, g.rows), PARQUET);
    }
    for (const s of stale) await archive.put(s.key, encode(s.schema, []), PARQUET);
  };
}

const PARQUET = "application/vnd.apache.parquet";

interface Manifest {
  first_offset: string;
  keys: Array<{ key: string; schema: SinkSchema }>;
}

function parseManifest(body: Uint8Array | undefined): Manifest | undefined {
  if (body === undefined) return undefined;
  try {
    const m = JSON.parse(new TextDecoder().decode(body)) as Manifest;
    const known = (x: { schema?: unknown }) => typeof x.schema === "string" && x.schema in DEFAULT_ARCHIVE_PREFIXES;
    return typeof m.first_offset === "string" && Array.isArray(m.keys) && m.keys.every(known) ? m : undefined;
  } catch {
    return undefined; // unreadable manifest: nothing to clean, the data keys are still correct
  }
}

function encode(schema: SinkSchema, rows: ArchiveRow[]): Uint8Array {
  const positioned = <T>() => rows.map((m) => ({ payload: m.payload, position: m.position }) as Positioned<T>);
  switch (schema) {
    case "vigil.raw-transaction":
      return toParquet(RAW_TRANSACTION_COLUMNS, positioned<RawTransaction>());
    case "vigil.scored-event":
      return toParquet(VERDICT_COLUMNS, positioned<ScoredEvent>());
    case "vigil.alert":
      return toParquet(ALERT_COLUMNS, positioned<Alert>());
    case "vigil.feature-row":
      return toParquet(FEATURE_ROW_COLUMNS, positioned<FeatureRow>());
  }
}
