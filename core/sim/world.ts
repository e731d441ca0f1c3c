import type { Rng } from "../random.js";
import { CITIES } from "./cities.js";

// The simulated world: merchants with terminals in every city, online merchants, ATMs, and the
// reference risk of each (what Redis would hold at the edge). Built once per seed.

export type CategoryName =
  | "GROCERY" | "FUEL" | "RESTAURANT" | "RETAIL" | "ELECTRONICS" | "JEWELRY"
  | "ONLINE_RETAIL" | "TRAVEL" | "DIGITAL_GOODS" | "MONEY_TRANSFER" | "ATM";

export interface Category {
  name: CategoryName;
  mcc: string;
  /** Median amount in USD and log-normal sigma, before the card's own scale. */
  median: number;
  sigma: number;
  online: boolean;
  /** Merchants per city (in-store) or worldwide (online). */
  count: number;
}

export const CATEGORIES: Record<CategoryName, Category> = {
  GROCERY: { name: "GROCERY", mcc: "5411", median: 42, sigma: 0.6, online: false, count: 30 },
  FUEL: { name: "FUEL", mcc: "5541", median: 48, sigma: 0.35, online: false, count: 12 },
  RESTAURANT: { name: "RESTAURANT", mcc: "5812", median: 32, sigma: 0.6, online: false, count: 40 },
  RETAIL: { name: "RETAIL", mcc: "5311", median: 65, sigma: 0.8, online: false, count: 15 },
  ELECTRONICS: { name: "ELECTRONICS", mcc: "5732", median: 180, sigma: 0.9, online: false, count: 4 },
  JEWELRY: { name: "JEWELRY", mcc: "5944", median: 400, sigma: 0.8, online: false, count: 2 },
  ATM: { name: "ATM", mcc: "6011", median: 100, sigma: 0.6, online: false, count: 12 },
  ONLINE_RETAIL: { name: "ONLINE_RETAIL", mcc: "5999", median: 50, sigma: 0.9, online: true, count: 250 },
  TRAVEL: { name: "TRAVEL", mcc: "4511", median: 420, sigma: 0.6, online: true, count: 25 },
  DIGITAL_GOODS: { name: "DIGITAL_GOODS", mcc: "5816", median: 15, sigma: 0.8, online: true, count: 30 },
  MONEY_TRANSFER: { name: "MONEY_TRANSFER", mcc: "4829", median: 250, sigma: 0.8, online: true, count: 10 },
};

export interface Geo {
  readonly lat: number;
  readonly lon: number;
}

export interface Terminal {
  id: string;
  geo: Geo;
  risk: number;
}

export interface Merchant {
  id: string;
  category: Category;
  /** Index into CITIES, −1 for online merchants. */
  city: number;
  risk: number;
  terminals: Terminal[];
  /** Card data captured here (skimmer, breached checkout) is later used for fraud. */
  compromised: boolean;
  /**
   * Compromised and already identified by the ops common-point-of-purchase job: cards seen here get
   * an elevated card_risk_tier in reference data (see CPP_TIER in stream.ts). About 70% of the
   * compromised merchants; the rest are breaches nobody has found yet.
   */
  compromiseKnown: boolean;
}

export interface World {
  merchants: Merchant[];
  /** [city][category] → merchants of that category in the city (in-store categories and ATM). */
  local: Merchant[][][];
  /** category → online merchants. */
  online: Partial<Record<CategoryName, Merchant[]>>;
  /** Merchants with elevated risk (a few high-risk, all compromised ones), fraudsters favour them. */
  risky: Merchant[];
}

export const LOCAL_CATEGORIES: readonly CategoryName[] = ["GROCERY", "FUEL", "RESTAURANT", "RETAIL", "ELECTRONICS", "JEWELRY", "ATM"];
export const ONLINE_CATEGORIES: readonly CategoryName[] = ["ONLINE_RETAIL", "TRAVEL", "DIGITAL_GOODS", "MONEY_TRANSFER"];
export const LOCAL_INDEX = Object.fromEntries(LOCAL_CATEGORIES.map((n, i) => [n, i])) as Record<CategoryName, number>;

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;
const round3 = (x: number) => Math.round(x * 1e3) / 1e3;
const pad4 = (n: number) => String(n).padStart(4, "0");

/** Clean merchants sit low; about 2% are known high-risk. */
function merchantRisk(rng: Rng): number {
  return round3(rng.chance(0.02) ? rng.range(0.55, 0.9) : 0.01 + 0.12 * rng.next() ** 2);
}

export interface WorldOptions {
  /** Share of in-store merchants whose terminals were compromised (skimmers). */
  compromisedShare?: number;
  /** Approximate number of merchants (default DEFAULT_MERCHANTS); category counts scale with it. */
  merchants?: number;
}

const localPerCity = LOCAL_CATEGORIES.reduce((a, n) => a + CATEGORIES[n].count, 0);
export const DEFAULT_MERCHANTS = localPerCity * CITIES.length + ONLINE_CATEGORIES.reduce((a, n) => a + CATEGORIES[n].count, 0);

/**
 * Whether a compromised merchant (by its sequence number) is already known to the CPP job: a fixed
 * ~70% split derived from the number, not drawn from the generator, so the rest of the world (and
 * every stream built on it) stays what it was.
 */
function knownBreach(seq: number): boolean {
  return (Math.imul(seq + 1, 0x9e3779b1) >>> 0) % 10 < 7;
}

export function buildWorld(rng: Rng, opts: WorldOptions = {}): World {
  const compromisedShare = opts.compromisedShare ?? 0.01;
  const scale = (opts.merchants ?? DEFAULT_MERCHANTS) / DEFAULT_MERCHANTS;
  const countOf = (cat: Category) => Math.max(1, Math.round(cat.count * scale));
  const merchants: Merchant[] = [];
  const local: Merchant[][][] = [];
  const online: Partial<Record<CategoryName, Merchant[]>> = {};
  let seq = 0;
  const nextId = (prefix: string) => `${prefix}-${String(100000 + seq++)}`;

  CITIES.forEach((city, ci) => {
    const byCat: Merchant[][] = [];
    let termSeq = 0;
    for (const name of LOCAL_CATEGORIES) {
      const cat = CATEGORIES[name];
      const list: Merchant[] = [];
      for (let k = 0; k < countOf(cat); k++) {
        const isAtm = name === "ATM";
        const compromised = !isAtm && rng.chance(compromisedShare);
        // Each shop sits 0–1.5 km from the centre; its terminals share its coordinates.
        const geo: Geo = Object.freeze({ lat: round4(city.lat + rng.range(-0.013, 0.013)), lon: round4(city.lon + rng.range(-0.013, 0.013)) });
        const nTerm = isAtm ? 1 : 1 + rng.int(3);
        const terminals: Terminal[] = [];
        for (let j = 0; j < nTerm; j++) {
          terminals.push({
            id: `${isAtm ? "ATM" : "POS"}-${city.code}-${pad4(termSeq++)}`,
            geo,
            risk: round3(compromised ? rng.range(0.5, 0.9) : 0.01 + 0.08 * rng.next() ** 2),
          });
        }
        const m: Merchant = {
          id: nextId(isAtm ? "BNK" : "MCH"),
          category: cat,
          city: ci,
          risk: compromised ? round3(rng.range(0.45, 0.8)) : merchantRisk(rng),
          terminals,
          compromised,
          compromiseKnown: compromised && knownBreach(seq),
        };
        list.push(m);
        merchants.push(m);
      }
      byCat.push(list);
    }
    local.push(byCat);
  });
  for (const name of ONLINE_CATEGORIES) {
    const cat = CATEGORIES[name];
    const list: Merchant[] = [];
    for (let k = 0; k < countOf(cat); k++) {
      const m: Merchant = { id: nextId("WEB"), category: cat, city: -1, risk: merchantRisk(rng), terminals: [], compromised: false, compromiseKnown: false };
      list.push(m);
      merchants.push(m);
    }
    online[name] = list;
  }
  const risky = merchants.filter((m) => m.risk >= 0.45 && m.category.name !== "ATM");
  return { merchants, local, online, risky };
}

// Number.prototype.toString(16) takes V8's slow radix path; a byte table is ~20× faster.
const HEX2 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** `n` random lowercase hex characters. */
export function randomHex(rng: Rng, n: number): string {
  let s = "";
  while (s.length < n) {
    const w = rng.uint32();
    s += HEX2[w & 255]! + HEX2[(w >>> 8) & 255]! + HEX2[(w >>> 16) & 255]! + HEX2[w >>> 24]!;
  }
  return s.length === n ? s : s.slice(0, n);
}

/**
 * Identifiers that look like the real thing without ever holding a card number: a 64-hex card
 * hash, `fp_` + 24 hex device fingerprints, `ip_` + 32 hex IP hashes. Any run of digits in them
 * touches a hex letter or is longer than 19, so the PAN guard cannot mistake them for a PAN.
 */
export const newCardHash = (rng: Rng) => randomHex(rng, 64);
export const newDevice = (rng: Rng) => `fp_${randomHex(rng, 24)}`;
export const newIpHash = (rng: Rng) => `ip_${randomHex(rng, 32)}`;
