import { parquetReadObjects } from "hyparquet";
import type { Archive } from "../ports/index.js";
import { parseWith, TransactionEventSchema, type TransactionEvent } from "../../core/index.js";
import { DEFAULT_ARCHIVE_PREFIXES } from "./archive-keys.js";

// Recorded events from the archive's raw/transactions/ Parquet (what the edge received, before
// scoring), read by `vigil backtest --archive` and the ops API's rule backtest: hour folders year=/month=/day=/hour= overlapping [fromMs, toMs), every part file in
// them. Rows are validated with the core schema like JSONL lines; a bad row is reported as
// "<key> row <n>" and skipped.

/** A row refused by the core schema (same shape as the CLI's bad JSONL lines). */
export interface BadLine {
  line: number;
  message: string;
}

export interface ParsedEvents {
  events: TransactionEvent[];
  bad: BadLine[];
}

export const RAW_PREFIX = DEFAULT_ARCHIVE_PREFIXES["vigil.raw-transaction"];
const HOUR_MS = 3_600_000;
const HOUR_DIR = /year=(\d{4})\/month=(\d{2})\/day=(\d{2})\/hour=(\d{2})\//;

export interface ArchiveRange {
  fromMs?: number | undefined;
  toMs?: number | undefined;
  /** The archive sink's rootPrefix, when one is configured (S3_KEY_PREFIX). */
  rootPrefix?: string | undefined;
}

export interface ArchiveEvents extends ParsedEvents {
  files: number;
  /** Rows seen again at the same log position (a retried batch's leftovers). */
  duplicates: number;
}

/** Whether a key's hour folder can hold events of [from, to). Keys outside the layout are kept. */
function hourInRange(key: string, from: number, to: number): boolean {
  const m = HOUR_DIR.exec(key);
  if (!m) return true;
  const start = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]));
  return start + HOUR_MS > from && start < to;
}

const text = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));

function iso(v: unknown): string | undefined {
  const ms = v instanceof Date ? v.getTime() : typeof v === "bigint" ? Number(v) : typeof v === "number" ? v : Number.NaN;
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/** A flattened Parquet row back to the event's JSON shape (absent optionals omitted). */
export function rowToEvent(r: Record<string, unknown>): Record<string, unknown> {
  const e: Record<string, unknown> = {};
  for (const k of ["transaction_id", "card_number_hash", "merchant_id", "merchant_category_code", "currency", "transaction_type", "channel", "terminal_id", "device_fingerprint", "ip_address_hash", "card_bin"]) {
    const v = text(r[k]);
    if (v !== undefined) e[k] = v;
  }
  e.amount_usd = r.amount_usd;
  e.timestamp_utc = iso(r.timestamp_utc);
  if (typeof r.card_present === "boolean") e.card_present = r.card_present;
  if (typeof r.geo_lat === "number" && typeof r.geo_lon === "number") e.geolocation = { lat: r.geo_lat, lon: r.geo_lon };
  return e;
}

export async function readArchiveEvents(archive: Archive, range: ArchiveRange = {}): Promise<ArchiveEvents> {
  const root = range.rootPrefix ? `${range.rootPrefix.replace(/\/+$/, "")}/` : "";
  const from = range.fromMs ?? Number.NEGATIVE_INFINITY;
  const to = range.toMs ?? Number.POSITIVE_INFINITY;
  const keys = (await archive.list(`${root}${RAW_PREFIX}/`)).filter((k) => k.endsWith(".parquet") && hourInRange(k, from, to)).sort();
  const events: TransactionEvent[] = [];
  const bad: BadLine[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  for (const key of keys) {
    const body = await archive.get(key);
    if (body === undefined || body.byteLength === 0) continue;
    const file = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
    const rows = await parquetReadObjects({ file, rowFormat: "object" });
    rows.forEach((r, i) => {
      const pos = `${String(r.kafka_topic)}/${String(r.kafka_partition)}/${String(r.kafka_offset)}`;
      if (r.kafka_offset !== undefined && r.kafka_offset !== null) {
        if (seen.has(pos)) { duplicates++; return; }
        seen.add(pos);
      }
      const p = parseWith(TransactionEventSchema, rowToEvent(r));
      if (p.ok) events.push(p.value);
      // Line numbers do not exist in Parquet: the report names the file and the row instead.
      else bad.push({ line: i + 1, message: `${key} row ${i + 1}: ${p.issues.map((x) => `${x.path || "(event)"}: ${x.message}`).join("; ")}` });
    });
  }
  return { events, bad, files: keys.length, duplicates };
}
