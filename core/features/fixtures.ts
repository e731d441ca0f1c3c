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
    geolocation: { lat: 40.7128, lon: -74.006 },
    ...over,
  };
}
