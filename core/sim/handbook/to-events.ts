import { createRng, fmix32 } from "../../random.js";
import type { TransactionEvent } from "../../schemas.js";
import { isoFormatter } from "../time.js";
import type { HandbookDataset } from "./generate.js";

// The handbook's rows as Vigil transaction events. The handbook has no merchant, category,
// channel or coordinates in degrees; each is derived per terminal so the same terminal always maps
// to the same merchant, MCC and place. No device or IP: the handbook has none, and inventing them
// would give Vigil signals the benchmark does not contain.

/**
 * Where the handbook's 100 × 100 square lands: 1 grid unit = 1 km, the square's (0, 0) corner at
 * ORIGIN, x east and y north, on a local equirectangular projection (error < 0.1% over 100 km).
 */
export const ORIGIN = { lat: 50.8, lon: 4.3 } as const;
export const KM_PER_DEG_LAT = 110.574;
export const KM_PER_DEG_LON_AT_ORIGIN = 111.32 * Math.cos((ORIGIN.lat * Math.PI) / 180);

/** In-store categories a terminal may belong to (grocery, restaurant, fuel, retail, pharmacy, …). */
export const HANDBOOK_MCCS = ["5411", "5812", "5541", "5311", "5912", "5999", "5732", "5814", "5691", "7011"] as const;

export interface ToEventsOptions {
  /** Distinguishes the ids of different datasets (variants) fed to one system; default "hb". */
  prefix?: string;
  /** Salts the card hashes; default the dataset's seed. */
  salt?: number;
}

/** The label of one event, kept apart from the event so a caller can release it after a delay. */
export interface HandbookLabel {
  transaction_id: string;
  is_fraud: boolean;
  scenario: 0 | 1 | 2 | 3;
  /** Event time, epoch ms: the earliest moment the label could be known. */
  event_ms: number;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/**
 * A 64-hex card hash from a customer id: eight murmur-finalised words of (salt, id, word index).
 * Not a cryptographic hash and not meant to be; it only has to be stable, distinct per customer
 * and impossible to mistake for a PAN (a hex string with any letter a–f never matches the guard).
 */
export function cardHashOf(customerId: number, salt = 0): string {
  let s = "";
  let h = fmix32((salt ^ 0x5bd1e995) >>> 0);
  for (let w = 0; w < 8; w++) {
    h = fmix32((h ^ Math.imul(customerId + 1, 0x9e3779b1) ^ Math.imul(w + 1, 0x85ebca6b)) >>> 0);
    s += HEX[h & 255]! + HEX[(h >>> 8) & 255]! + HEX[(h >>> 16) & 255]! + HEX[h >>> 24]!;
  }
  // An all-digit hash has odds (10/16)^64; force a letter anyway so it can never read as digits.
  return /[a-f]/.test(s) ? s : `a${s.slice(1)}`;
}

/** Grid (x, y) in km to degrees (see ORIGIN). */
export function gridToLatLon(x: number, y: number): { lat: number; lon: number } {
  return {
    lat: Math.round((ORIGIN.lat + y / KM_PER_DEG_LAT) * 1e5) / 1e5,
    lon: Math.round((ORIGIN.lon + x / KM_PER_DEG_LON_AT_ORIGIN) * 1e5) / 1e5,
  };
}

export interface HandbookEventMapper {
  /** Event i of the dataset (its TX_ID) with its label. */
  at(i: number): { event: TransactionEvent; label: HandbookLabel };
}

/** Builds per-terminal and per-customer lookups once; events are then made on demand. */
export function handbookEventMapper(ds: HandbookDataset, opts: ToEventsOptions = {}): HandbookEventMapper {
  const prefix = opts.prefix ?? "hb";
  const salt = opts.salt ?? ds.params.seed;
  const mccRng = createRng(ds.params.seed).fork("mcc");
  const nT = ds.terminals.count;
  const mcc: string[] = new Array<string>(nT);
  const geo = new Array<{ lat: number; lon: number }>(nT);
  for (let t = 0; t < nT; t++) {
    mcc[t] = mccRng.pick(HANDBOOK_MCCS);
    geo[t] = Object.freeze(gridToLatLon(ds.terminals.x[t]!, ds.terminals.y[t]!));
  }
  const cards = new Map<number, string>();
  const iso = isoFormatter();
  const tx = ds.tx;
  return {
    at(i) {
      if (!(i >= 0 && i < tx.length)) throw new RangeError(`no transaction ${i}`);
      const cu = tx.customerId[i]!;
      const t = tx.terminalId[i]!;
      let card = cards.get(cu);
      if (card === undefined) cards.set(cu, (card = cardHashOf(cu, salt)));
      const ms = ds.startMs + tx.timeSeconds[i]! * 1000;
      const transaction_id = `${prefix}-tx-${i}`;
      const event: TransactionEvent = {
        transaction_id,
        card_number_hash: card,
        merchant_id: `${prefix}-m-${t}`,
        merchant_category_code: mcc[t]!,
        // Scenario 3 multiplies cents by 5; round away the binary noise.
        amount_usd: Math.round(tx.amount[i]! * 100) / 100,
        currency: "USD",
        timestamp_utc: iso(ms),
        terminal_id: `${prefix}-t-${t}`,
        geolocation: geo[t]!,
        // The schema's keys are required but may hold undefined: the handbook has no device or IP.
        device_fingerprint: undefined,
        ip_address_hash: undefined,
        transaction_type: "PURCHASE",
        channel: "IN_STORE",
      };
      return { event, label: { transaction_id, is_fraud: tx.fraud[i] === 1, scenario: tx.scenario[i]! as 0 | 1 | 2 | 3, event_ms: ms } };
    },
  };
}

/** Events (chronological) with their labels, optionally only days [fromDay, toDay). */
export function* handbookEvents(ds: HandbookDataset, opts: ToEventsOptions & { fromDay?: number; toDay?: number } = {}): Generator<{ event: TransactionEvent; label: HandbookLabel }> {
  const m = handbookEventMapper(ds, opts);
  const from = opts.fromDay ?? 0;
  const to = opts.toDay ?? Number.POSITIVE_INFINITY;
  for (let i = 0; i < ds.tx.length; i++) {
    const d = ds.tx.day[i]!;
    if (d < from) continue;
    if (d >= to) break;
    yield m.at(i);
  }
}
