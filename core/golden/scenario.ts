import type { ReferenceSignals, TransactionEvent } from "../schemas.js";

// Hand-designed golden events: a few cards, each telling one story. Replayed in the order listed
// (arrival order; card G's events arrive out of event-time order on purpose), each card with its
// own CardWindow, through defaultEngine().process. expected.json holds the decisions the team
// reviewed; `npm run golden:update` rewrites it (review the diff before committing).

export interface GoldenStep {
  note: string;
  event: TransactionEvent;
  refs: ReferenceSignals;
}

const T0 = Date.UTC(2026, 10, 2, 14, 0, 0);
const MIN = 60_000, HOUR = 3_600_000, DAY = 86_400_000;
const NYC = { lat: 40.7128, lon: -74.006 };
const BROOKLYN = { lat: 40.6782, lon: -73.9442 };
const MOSCOW = { lat: 55.75, lon: 37.61 };
const LONDON = { lat: 51.5074, lon: -0.1278 };
const PARIS = { lat: 48.8566, lon: 2.3522 };
const OK: ReferenceSignals = { status: "OK", merchant_risk_score: 0.05, ip_reputation_score: 0.02, terminal_risk_score: 0.01 };

let seq = 0;
function step(note: string, card: string, at: number, over: Partial<TransactionEvent> = {}, refs: ReferenceSignals = OK): GoldenStep {
  seq++;
  return {
    note,
    refs,
    event: {
      transaction_id: `GOLD-${String(seq).padStart(3, "0")}`,
      card_number_hash: `golden-card-${card}`,
      merchant_id: "MCH-4829",
      merchant_category_code: "5411",
      amount_usd: 42.5,
      currency: "USD",
      timestamp_utc: new Date(T0 + at).toISOString(),
      terminal_id: "POS-NYC-0029",
      device_fingerprint: undefined,
      ip_address_hash: undefined,
      geolocation: NYC,
      transaction_type: "PURCHASE",
      channel: "IN_STORE",
      card_present: true,
      ...over,
    },
  };
}

const online = (over: Partial<TransactionEvent> = {}): Partial<TransactionEvent> => ({
  channel: "ONLINE", terminal_id: undefined, card_present: false, device_fingerprint: "fp-home-laptop", ip_address_hash: "iph-home", ...over,
});

export const GOLDEN: GoldenStep[] = [
  // A: an ordinary card, groceries and coffee around New York over several days.
  step("A normal grocery", "A", -5 * DAY, { amount_usd: 64.2 }),
  step("A coffee next day", "A", -4 * DAY + 2 * HOUR, { amount_usd: 4.75, merchant_id: "MCH-CAFE-1", merchant_category_code: "5814", geolocation: BROOKLYN }),
  step("A online order at home", "A", -3 * DAY, online({ amount_usd: 89.99, merchant_id: "MCH-WEB-7", merchant_category_code: "5942", geolocation: NYC })),
  step("A grocery", "A", -2 * DAY, { amount_usd: 71.1 }),
  step("A ATM withdrawal", "A", -DAY, { amount_usd: 100, merchant_id: "BNK-1", merchant_category_code: "6011", channel: "ATM", transaction_type: "WITHDRAWAL", terminal_id: "ATM-NYC-3" }),
  step("A grocery today", "A", 0, { amount_usd: 58.3 }),
  // B: normal, then a burst of small online purchases (card testing / velocity attack).
  step("B normal", "B", -DAY, { amount_usd: 35 }),
  ...Array.from({ length: 7 }, (_, i) =>
    step(`B burst #${i + 1}`, "B", i * 9_000, online({ amount_usd: 19.99 + i, merchant_id: `MCH-GIFT-${i}`, merchant_category_code: "5999", device_fingerprint: "fp-bot", ip_address_hash: "iph-proxy" })),
  ),
  // C: New York, then Moscow an hour later (the spec's short example), then London.
  step("C NYC dinner", "C", -30 * MIN, { amount_usd: 120, merchant_id: "MCH-REST-2", merchant_category_code: "5812" }),
  step("C Moscow 4999.99 online (spec example)", "C", 30 * MIN, online({ amount_usd: 4999.99, merchant_id: "MCH-0022", geolocation: MOSCOW, device_fingerprint: "fp-unknown", ip_address_hash: "iph-ru" })),
  step("C London two hours later", "C", 2 * HOUR + 30 * MIN, { amount_usd: 800, geolocation: LONDON, terminal_id: "POS-LON-1" }),
  // D: blocked BIN, then a blacklisted IP on another purchase.
  step("D blocked BIN", "D", 0, { card_bin: "401288", amount_usd: 25 }, { ...OK, bin_blocked: true }),
  step("D blacklisted IP", "D", 10 * MIN, online({ amount_usd: 25 }), { ...OK, ip_blocked: true }),
  step("D clean purchase", "D", DAY, { amount_usd: 30 }),
  // E: steady online shopper on one laptop, then a new device with a high amount.
  ...Array.from({ length: 4 }, (_, i) => step(`E usual online #${i + 1}`, "E", (i - 4) * DAY, online({ amount_usd: 40 + i * 5, merchant_id: "MCH-WEB-3" }))),
  step("E new device, 2,400 USD", "E", 0, online({ amount_usd: 2400, merchant_id: "MCH-ELEC-9", merchant_category_code: "5732", device_fingerprint: "fp-new-phone", ip_address_hash: "iph-new" })),
  // F: channel mismatches.
  step("F in-store without the card", "F", 0, { amount_usd: 300, card_present: false }),
  step("F ATM with an IP and no terminal", "F", HOUR, { amount_usd: 400, channel: "ATM", transaction_type: "WITHDRAWAL", merchant_category_code: "6011", terminal_id: undefined, ip_address_hash: "iph-x" }),
  step("F online claiming card present", "F", 3 * HOUR, online({ amount_usd: 60, card_present: true })),
  // G: out-of-order and late arrivals.
  step("G latest first", "G", 2 * DAY, { amount_usd: 50 }),
  step("G 10 min earlier, arrives second", "G", 2 * DAY - 10 * MIN, { amount_usd: 55 }),
  step("G 5 min earlier, arrives third", "G", 2 * DAY - 5 * MIN, { amount_usd: 45 }),
  step("G late: 30 h behind (30-day buckets only)", "G", 2 * DAY - 30 * HOUR, { amount_usd: 60 }),
  step("G next in order", "G", 2 * DAY + 20 * MIN, { amount_usd: 52 }),
  // H: reference data trouble and risky counterparties.
  step("H reference unavailable, ONLINE fails closed", "H", 0, online({ amount_usd: 30 }), { status: "UNAVAILABLE" }),
  step("H reference unavailable, IN_STORE fails open", "H", HOUR, { amount_usd: 30 }, { status: "UNAVAILABLE" }),
  step("H high-risk merchant", "H", 2 * HOUR, { amount_usd: 75, merchant_id: "MCH-RISKY" }, { ...OK, merchant_risk_score: 0.92 }),
  step("H high-risk merchant + poor IP online", "H", 3 * HOUR, online({ amount_usd: 75 }), { ...OK, merchant_risk_score: 0.9, ip_reputation_score: 0.85 }),
  step("H Paris card-present, a week later", "H", 7 * DAY, { amount_usd: 64, geolocation: PARIS, terminal_id: "POS-PAR-1" }),
];
