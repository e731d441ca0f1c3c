// Requests of the conformance suite. Event times are fixed once per run in the recent past (every
// runtime accepts them: within MAX_EVENT_AGE_DAYS and not in the future), and the same values go to
// every runtime, so the verdicts must be identical.

const MINUTE = 60_000;
/** Start of the scripted sequence: two hours ago, on a whole minute. */
export const BASE_MS = Math.floor((Date.now() - 2 * 60 * MINUTE) / MINUTE) * MINUTE;
export const RUN = Date.now().toString(36);

export const at = (offsetMs: number) => new Date(BASE_MS + offsetMs).toISOString();

export function event(card: string, id: string, offsetMs: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    transaction_id: `conf-${RUN}-${id}`,
    card_number_hash: card,
    merchant_id: "m-clean",
    merchant_category_code: "5411",
    amount_usd: 42.5,
    currency: "USD",
    timestamp_utc: at(offsetMs),
    terminal_id: "t-clean",
    device_fingerprint: "dev-conf-1",
    ip_address_hash: "ip-hash-conf-home",
    geolocation: { lat: 40.7128, lon: -74.006 },
    transaction_type: "PURCHASE",
    channel: "ONLINE",
    ...extra,
  };
}

/**
 * One card's scripted day: ordinary purchases, a burst (velocity), a large amount, a new device far
 * away (geo velocity), a risky merchant and terminal (reference data), a blocked IP hash (block
 * list from Redis), a late event, and a cash withdrawal.
 */
export function scriptedSequence(card: string): Record<string, unknown>[] {
  const seq: Record<string, unknown>[] = [];
  const e = (id: string, min: number, extra: Record<string, unknown> = {}) => seq.push(event(card, id, min * MINUTE, extra));
  e("s01", 0, { amount_usd: 23.1 });
  e("s02", 7, { amount_usd: 41.75, merchant_id: "m-mid" });
  e("s03", 19, { amount_usd: 12.0 });
  for (let k = 0; k < 6; k++) e(`s04-${k}`, 30 + k * 0.1, { amount_usd: 19.99 + k, merchant_id: `m-burst-${k}` });
  e("s05", 40, { amount_usd: 2450.0, merchant_category_code: "5732" });
  e("s06", 42, { device_fingerprint: "dev-conf-new", geolocation: { lat: 51.5074, lon: -0.1278 }, amount_usd: 310.4 });
  e("s07", 50, { merchant_id: "m-risky", terminal_id: "t-risky", amount_usd: 120.0 });
  e("s08", 55, { ip_address_hash: "ip-hash-blocked-1", amount_usd: 15.0 });
  e("s09", 35, { amount_usd: 8.4 }); // late: before the burst's newest event
  e("s10", 70, { transaction_type: "WITHDRAWAL", channel: "ATM", amount_usd: 400, merchant_category_code: "6011" });
  return seq;
}
