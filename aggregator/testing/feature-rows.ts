import type { FeatureRow } from "../bus/envelope.js";
import type { StoredFeatureRow } from "../training/dataset.js";

// Synthetic feature-store rows for training tests: a learnable signal in feature 0 (fraud rows
// high), noise elsewhere, seeded so every run builds the same data.

export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export interface SynthOptions {
  fromMs: number;
  toMs: number;
  n: number;
  fraudRate: number;
  layout: string;
  cols: number;
  seed?: number;
}

export function synthRows(o: SynthOptions): Array<StoredFeatureRow & { fraud: boolean }> {
  const rnd = lcg(o.seed ?? 7);
  const out: Array<StoredFeatureRow & { fraud: boolean }> = [];
  for (let i = 0; i < o.n; i++) {
    const fraud = rnd() < o.fraudRate;
    const values: Array<number | null> = [];
    for (let j = 0; j < o.cols; j++) values.push(j === 0 ? (fraud ? 3 : 0) + rnd() * 2 : j === 1 && rnd() < 0.1 ? null : Math.round(rnd() * 1000) / 10);
    out.push({
      transaction_id: `T${String(i).padStart(6, "0")}`,
      card_number_hash: `card-${i % 50}`,
      event_ms: o.fromMs + Math.floor(((o.toMs - o.fromMs) * i) / o.n),
      layout: o.layout,
      values,
      fraud,
    });
  }
  return out;
}

export function featureRowOf(r: StoredFeatureRow, extra: Partial<FeatureRow> = {}): FeatureRow {
  return {
    transaction_id: r.transaction_id,
    card_number_hash: r.card_number_hash,
    merchant_id: "MCH-1",
    channel: "IN_STORE",
    amount_usd: 10,
    timestamp_utc: new Date(r.event_ms).toISOString(),
    model_features: { layout: r.layout, values: [...r.values] },
    fraud_score: 12,
    verdict: "APPROVED",
    model_version: "iforest-test",
    rules_version: "rules-test",
    region: "eu",
    received_at: new Date(r.event_ms + 5).toISOString(),
    ...extra,
  };
}
