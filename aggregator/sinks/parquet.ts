import { parquetWriteBuffer, type BasicType, type ColumnSource } from "hyparquet-writer";
import { z } from "zod";
import { FEATURE_NAMES, FeatureVectorSchema, type Alert, type ScoredEvent, type TransactionEvent } from "../../core/schemas.js";
import type { FeatureRow } from "../bus/envelope.js";
import type { LogPosition, RawTransaction } from "../ports/index.js";

// Parquet layouts of the three archived streams. Typed columns: strings, doubles, booleans,
// timestamps as INT64 TIMESTAMP_MILLIS (UTC), the log position as INT32 partition + INT64 offset
// (readers can de-duplicate on it); lists and nested objects as JSON text in STRING columns, so
// any reader can parse them without a JSON extension.

interface Column<R> {
  name: string;
  type: BasicType;
  get: (row: R) => string | number | boolean | Date | bigint | null;
}

export interface Positioned<T> {
  payload: T;
  position: LogPosition;
}

const ms = (iso: string) => new Date(Date.parse(iso));
const opt = <T>(v: T | undefined | null): T | null => (v === undefined ? null : v);

const positionColumns = <T>(): Array<Column<Positioned<T>>> => [
  { name: "kafka_topic", type: "STRING", get: (r) => r.position.topic },
  { name: "kafka_partition", type: "INT32", get: (r) => r.position.partition },
  { name: "kafka_offset", type: "INT64", get: (r) => BigInt(r.position.offset) },
];

/** The transaction event's own fields, flattened (geolocation → geo_lat, geo_lon). */
function eventColumns<R>(ev: (r: R) => TransactionEvent): Array<Column<R>> {
  return [
    { name: "transaction_id", type: "STRING", get: (r) => ev(r).transaction_id },
    { name: "card_number_hash", type: "STRING", get: (r) => ev(r).card_number_hash },
    { name: "merchant_id", type: "STRING", get: (r) => ev(r).merchant_id },
    { name: "merchant_category_code", type: "STRING", get: (r) => ev(r).merchant_category_code },
    { name: "amount_usd", type: "DOUBLE", get: (r) => ev(r).amount_usd },
    { name: "currency", type: "STRING", get: (r) => ev(r).currency },
    { name: "timestamp_utc", type: "TIMESTAMP", get: (r) => ms(ev(r).timestamp_utc) },
    { name: "terminal_id", type: "STRING", get: (r) => opt(ev(r).terminal_id) },
    { name: "device_fingerprint", type: "STRING", get: (r) => opt(ev(r).device_fingerprint) },
    { name: "ip_address_hash", type: "STRING", get: (r) => opt(ev(r).ip_address_hash) },
    { name: "geo_lat", type: "DOUBLE", get: (r) => opt(ev(r).geolocation?.lat) },
    { name: "geo_lon", type: "DOUBLE", get: (r) => opt(ev(r).geolocation?.lon) },
    { name: "transaction_type", type: "STRING", get: (r) => ev(r).transaction_type },
    { name: "channel", type: "STRING", get: (r) => ev(r).channel },
    { name: "card_present", type: "BOOLEAN", get: (r) => opt(ev(r).card_present) },
    { name: "card_bin", type: "STRING", get: (r) => opt(ev(r).card_bin) },
  ];
}

export const RAW_TRANSACTION_COLUMNS: Array<Column<Positioned<RawTransaction>>> = [
  ...eventColumns<Positioned<RawTransaction>>((r) => r.payload.event),
  { name: "region", type: "STRING", get: (r) => r.payload.region },
  { name: "received_at", type: "TIMESTAMP", get: (r) => ms(r.payload.received_at) },
  ...positionColumns<RawTransaction>(),
];

export const VERDICT_COLUMNS: Array<Column<Positioned<ScoredEvent>>> = [
  ...eventColumns<Positioned<ScoredEvent>>((r) => r.payload.event),
  { name: "fraud_score", type: "DOUBLE", get: (r) => r.payload.verdict.fraud_score },
  { name: "verdict", type: "STRING", get: (r) => r.payload.verdict.verdict },
  { name: "confidence", type: "DOUBLE", get: (r) => r.payload.verdict.confidence },
  { name: "ml_score", type: "DOUBLE", get: (r) => r.payload.verdict.ml_score },
  { name: "rule_triggers", type: "STRING", get: (r) => JSON.stringify(r.payload.verdict.rule_triggers) },
  { name: "reasons", type: "STRING", get: (r) => JSON.stringify(r.payload.verdict.reasons) },
  { name: "model_version", type: "STRING", get: (r) => r.payload.verdict.model_version },
  { name: "rules_version", type: "STRING", get: (r) => r.payload.verdict.rules_version },
  { name: "latency_ms", type: "DOUBLE", get: (r) => r.payload.verdict.latency_ms },
  // one typed column per feature (feature_<name>), the training set of the offline jobs
  ...FEATURE_NAMES.map((f): Column<Positioned<ScoredEvent>> => {
    const isFlag = FeatureVectorSchema.shape[f] instanceof z.ZodBoolean;
    return { name: `feature_${f}`, type: isFlag ? "BOOLEAN" : "DOUBLE", get: (r) => r.payload.features[f] as number | boolean };
  }),
  { name: "region", type: "STRING", get: (r) => r.payload.region },
  { name: "received_at", type: "TIMESTAMP", get: (r) => ms(r.payload.received_at) },
  ...positionColumns<ScoredEvent>(),
];

export const ALERT_COLUMNS: Array<Column<Positioned<Alert>>> = [
  { name: "card_number_hash", type: "STRING", get: (r) => r.payload.card_number_hash },
  { name: "transaction_id", type: "STRING", get: (r) => r.payload.transaction_id },
  { name: "alert_timestamp", type: "TIMESTAMP", get: (r) => ms(r.payload.alert_timestamp) },
  { name: "fraud_score", type: "DOUBLE", get: (r) => r.payload.fraud_score },
  { name: "fraud_reason", type: "STRING", get: (r) => r.payload.fraud_reason },
  { name: "action_taken", type: "STRING", get: (r) => r.payload.action_taken },
  { name: "rule_triggers", type: "STRING", get: (r) => JSON.stringify(r.payload.rule_triggers) },
  { name: "ml_score", type: "DOUBLE", get: (r) => r.payload.ml_score },
  ...positionColumns<Alert>(),
];

/**
 * The feature store. The vector is JSON text (null = missing) beside its layout fingerprint, not
 * one column per feature: the layout changes with the model features, and a file must stay
 * readable whatever layout its rows were scored with.
 */
export const FEATURE_ROW_COLUMNS: Array<Column<Positioned<FeatureRow>>> = [
  { name: "transaction_id", type: "STRING", get: (r) => r.payload.transaction_id },
  { name: "card_number_hash", type: "STRING", get: (r) => r.payload.card_number_hash },
  { name: "merchant_id", type: "STRING", get: (r) => r.payload.merchant_id },
  { name: "terminal_id", type: "STRING", get: (r) => opt(r.payload.terminal_id) },
  { name: "channel", type: "STRING", get: (r) => r.payload.channel },
  { name: "amount_usd", type: "DOUBLE", get: (r) => r.payload.amount_usd },
  { name: "timestamp_utc", type: "TIMESTAMP", get: (r) => ms(r.payload.timestamp_utc) },
  { name: "feature_layout", type: "STRING", get: (r) => r.payload.model_features.layout },
  { name: "feature_values", type: "STRING", get: (r) => JSON.stringify(r.payload.model_features.values) },
  { name: "fraud_score", type: "DOUBLE", get: (r) => r.payload.fraud_score },
  { name: "verdict", type: "STRING", get: (r) => r.payload.verdict },
  { name: "model_version", type: "STRING", get: (r) => r.payload.model_version },
  { name: "rules_version", type: "STRING", get: (r) => r.payload.rules_version },
  { name: "shadow_model_version", type: "STRING", get: (r) => opt(r.payload.shadow?.model_version) },
  { name: "shadow_fraud_score", type: "DOUBLE", get: (r) => opt(r.payload.shadow?.fraud_score) },
  { name: "shadow_verdict", type: "STRING", get: (r) => opt(r.payload.shadow?.verdict) },
  { name: "region", type: "STRING", get: (r) => r.payload.region },
  { name: "received_at", type: "TIMESTAMP", get: (r) => ms(r.payload.received_at) },
  ...positionColumns<FeatureRow>(),
];

/**
 * Rows → one Parquet file (SNAPPY), columns in the order given. Min/max statistics only on the
 * numeric and time columns readers prune on (event time, offsets, scores, amounts): on strings
 * (JSON text, ids) they cost encode time and bytes without helping any query.
 */
export function toParquet<R>(columns: Array<Column<R>>, rows: R[]): Uint8Array {
  const columnData: ColumnSource[] = columns.map((c) => ({
    name: c.name,
    type: c.type,
    data: rows.map(c.get),
    statistics: c.type !== "STRING" && c.type !== "BOOLEAN",
  }));
  return new Uint8Array(parquetWriteBuffer({ columnData, createdBy: "vigil aggregator (hyparquet-writer)" }));
}
