import { parquetReadObjects } from "hyparquet";
import type { Archive } from "../ports/index.js";
import type { StoredFeatureRow } from "./dataset.js";
import { DEFAULT_ARCHIVE_PREFIXES } from "../stores/archive-keys.js";

// Reads the feature store back from the archive (local folder or S3, same keys): the date
// folders a window touches, every part file in them, only the columns training needs. Rows
// outside the window (a date folder spans the whole day) are dropped by the caller's join.

export const FEATURE_STORE_PREFIX = DEFAULT_ARCHIVE_PREFIXES["vigil.feature-row"];
const DAY_MS = 86_400_000;
const COLUMNS = ["transaction_id", "card_number_hash", "timestamp_utc", "feature_layout", "feature_values"];

export interface FeatureStoreRange {
  fromMs: number;
  toMs: number;
  /** The archive sink's rootPrefix, when one is configured (S3_KEY_PREFIX). */
  rootPrefix?: string;
}

/** date=YYYY-MM-DD folders covering [fromMs, toMs], UTC. */
export function dateFolders(fromMs: number, toMs: number): string[] {
  const out: string[] = [];
  for (let d = Math.floor(fromMs / DAY_MS) * DAY_MS; d <= toMs; d += DAY_MS) out.push(`date=${new Date(d).toISOString().slice(0, 10)}`);
  return out;
}

function timeMs(v: unknown): number {
  if (v instanceof Date) return v.getTime();
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "number") return v;
  return Date.parse(String(v));
}

function values(text: unknown): Array<number | null> {
  const parsed: unknown = JSON.parse(String(text));
  if (!Array.isArray(parsed) || !parsed.every((x) => x === null || typeof x === "number")) throw new Error("feature_values is not an array of numbers");
  return parsed as Array<number | null>;
}

export async function readFeatureStore(archive: Archive, range: FeatureStoreRange): Promise<StoredFeatureRow[]> {
  const root = range.rootPrefix ? `${range.rootPrefix.replace(/\/+$/, "")}/` : "";
  const out: StoredFeatureRow[] = [];
  for (const folder of dateFolders(range.fromMs, range.toMs)) {
    const keys = (await archive.list(`${root}${FEATURE_STORE_PREFIX}/${folder}/`)).filter((k) => k.endsWith(".parquet")).sort();
    for (const key of keys) {
      const body = await archive.get(key);
      if (body === undefined || body.byteLength === 0) continue;
      const file = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
      const rows = await parquetReadObjects({ file, columns: COLUMNS, rowFormat: "object" });
      for (const r of rows) {
        out.push({
          transaction_id: String(r.transaction_id),
          card_number_hash: String(r.card_number_hash),
          event_ms: timeMs(r.timestamp_utc),
          layout: String(r.feature_layout),
          values: values(r.feature_values),
        });
      }
    }
  }
  return out;
}
