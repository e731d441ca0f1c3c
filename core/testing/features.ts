import { trainForest } from "../ml/forest.js";
import type { ForestModel } from "../ml/model.js";
import { createRng } from "../random.js";
import { FEATURE_NAMES } from "../schemas.js";
import { CardWindow } from "../window/card-window.js";
import { extractFeatures, toVector } from "../features/extract.js";
import type { TransactionEvent } from "../schemas.js";

/** Test helper: an event at `base + offsetMs` with sensible defaults. */
export const BASE_MS = Date.UTC(2026, 5, 15, 12, 0, 0);

export function ev(offsetMs: number, over: Partial<TransactionEvent> = {}): TransactionEvent {
  return {
    transaction_id: `TXN-${offsetMs}-${over.merchant_id ?? "m"}`,
    card_number_hash: "card-aaaaaa",
    merchant_id: "MCH-1",
    merchant_category_code: "5411",
    amount_usd: 50,
    currency: "USD",
    timestamp_utc: new Date(BASE_MS + offsetMs).toISOString(),
    transaction_type: "PURCHASE",
    channel: "IN_STORE",
    terminal_id: "POS-1",
    device_fingerprint: undefined,
    ip_address_hash: undefined,
    geolocation: { lat: 40.7128, lon: -74.006 },
    ...over,
  };
}


/**
 * A small forest trained in tests on seeded ordinary traffic (a few cards, daytime purchases of
 * 5–150 USD in one city, known devices), through the real CardWindow / extractFeatures / toVector.
 */
export function tinyModel(seed = 7): ForestModel {
  const rng = createRng(seed);
  const rows: Float64Array[] = [];
  for (let c = 0; c < 40; c++) {
    const s = CardWindow.empty();
    let t = rng.int(86_400_000);
    for (let k = 0; k < 60; k++) {
      t += Math.round(rng.exponential(6 * 3600_000));
      const e = ev(t, {
        card_number_hash: `card-${c}`,
        merchant_id: `MCH-${rng.int(8)}`,
        amount_usd: Math.round(rng.logNormal(3.6, 0.7) * 100) / 100,
        device_fingerprint: `fp-${c}`,
        geolocation: { lat: 40.7 + rng.range(-0.1, 0.1), lon: -74 + rng.range(-0.1, 0.1) },
      });
      rows.push(toVector(extractFeatures(e, s, { status: "OK" })));
      s.apply(e);
    }
  }
  return trainForest(rows, FEATURE_NAMES, { seed, trees: 50, subsampleSize: 128, modelVersion: "tiny-test" });
}
