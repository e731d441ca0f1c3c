import { MODEL_FEATURE_LAYOUT, N_MODEL_FEATURES } from "../../core/features/model-features.js";
import { envelope } from "../bus/envelope.js";
import type { Archive, MessageBatch, SqlQuery } from "../ports/index.js";
import { createArchiveSink } from "../sinks/archive-sink.js";
import { featureRowOf, synthRows } from "./feature-rows.js";

// A feature store with a learnable signal, written through the real archive sink (so the keys
// are the production ones), and fraud labels recorded `labelAfterDays` after each event.

export interface LoopFixture {
  fromMs: number;
  toMs: number;
  rows: ReturnType<typeof synthRows>;
}

export async function seedFeatureStore(archive: Archive, sql: SqlQuery, o: { fromMs: number; toMs: number; n: number; labelAfterDays: number; seed?: number; rootPrefix?: string }): Promise<LoopFixture> {
  const rows = synthRows({ fromMs: o.fromMs, toMs: o.toMs, n: o.n, fraudRate: 0.08, layout: MODEL_FEATURE_LAYOUT, cols: N_MODEL_FEATURES, seed: o.seed ?? 11 });
  const sink = createArchiveSink(archive, o.rootPrefix ? { rootPrefix: o.rootPrefix } : {});
  const perBatch = 200;
  for (let i = 0; i < rows.length; i += perBatch) {
    const slice = rows.slice(i, i + perBatch);
    const batch: MessageBatch = {
      topic: "fraud-enriched-events",
      partition: 0,
      messages: slice.map((r, k) => ({ key: r.card_number_hash, value: envelope("vigil.feature-row", featureRowOf(r), new Date(r.event_ms).toISOString()), position: { topic: "fraud-enriched-events", partition: 0, offset: String(i + k) } })),
    };
    await sink(batch);
  }
  const frauds = rows.filter((r) => r.fraud).map((r) => ({ id: r.transaction_id, at: new Date(r.event_ms + o.labelAfterDays * 86_400_000).toISOString() }));
  await sql.query(
    `INSERT INTO fraud_ops.labels (transaction_id, version, is_fraud, source, actor, labelled_at)
     SELECT id, 1, true, 'CHARGEBACK', 'fixture', at::timestamptz FROM jsonb_to_recordset($1::jsonb) AS x(id text, at text)
     ON CONFLICT DO NOTHING`,
    [JSON.stringify(frauds)],
  );
  return { fromMs: o.fromMs, toMs: o.toMs, rows };
}
