import { z } from "zod";
import type { CardScorer, ScoreAnswer, ScoreItem } from "../core/contracts/scoring.js";
import type { Forwarder } from "../core/contracts/forwarding.js";
import { RESIDENCY_ZONES, type ResidencyZone, type ScoredEvent, type TransactionEvent } from "../core/schemas.js";

// Residency: where a card's state and its scored events may live follows the card's home, not the
// terminal's region. Two zones: "eu" (EU-home cards: state in the EU jurisdiction / EU store,
// events on the EU queue, the EU aggregator when one is configured) and "default" (everything else).
//
// A card is EU-home when EITHER signal says so:
//   - the request's `card_region` is "EU" (the issuer or gateway knows the card's home), or
//   - its `card_bin` falls in the EU BIN table (EU_CARD_BINS, the same in every deployment).
// The stricter answer wins: a request saying "US" cannot take a card whose BIN is in the EU table
// out of the EU. Both inputs are in the request or in the deployment, never in reference data
// fetched at run time: an outage of the reference source must never move a card to another object
// (that would split its window and put EU data outside the EU).
// Every card's address is a pure function of (card hash, zone), the same in every region, so a
// card used in two regions reaches one state.

export { RESIDENCY_ZONES, type ResidencyZone };

/** One entry of the BIN table: a prefix ("4975") or an inclusive range of equal-length prefixes ("400000-400099"). */
export interface BinRange {
  lo: string;
  hi: string;
}

export interface ResidencyRules {
  euBins: readonly BinRange[];
}

export const NO_RESIDENCY_RULES: ResidencyRules = { euBins: [] };

const ENTRY = /^(\d{1,8})(?:-(\d{1,8}))?$/;

/**
 * Parses EU_CARD_BINS: entries separated by commas or whitespace, each a 1–8 digit prefix or a
 * range `lo-hi` of two prefixes of the same length (lo ≤ hi). Throws naming the bad entry.
 */
export function parseBinTable(text: string): BinRange[] {
  const out: BinRange[] = [];
  for (const raw of text.split(/[\s,]+/)) {
    if (raw === "") continue;
    const m = ENTRY.exec(raw);
    const lo = m?.[1];
    const hi = m?.[2] ?? lo;
    if (!lo || !hi || lo.length !== hi.length || lo > hi) {
      throw new Error(`"${raw}" is not a BIN prefix (1–8 digits) or a range lo-hi of equal-length prefixes`);
    }
    out.push({ lo, hi });
  }
  return out;
}

/** EU_CARD_BINS as a setting (edge and forwarding config alike): parsed once; a bad entry is a config issue naming it. */
export const BinTableSetting = z.string().default("").transform((s, ctx) => {
  try {
    return parseBinTable(s);
  } catch (err) {
    ctx.addIssue({ code: "custom", message: err instanceof Error ? err.message : "invalid BIN table" });
    return z.NEVER;
  }
});

/** True when the BIN (6–8 digits) starts with a prefix inside one of the ranges. */
export function binInTable(bin: string, table: readonly BinRange[]): boolean {
  for (const { lo, hi } of table) {
    if (bin.length < lo.length) continue;
    const head = bin.slice(0, lo.length);
    if (head >= lo && head <= hi) return true;
  }
  return false;
}

type HomeFields = Pick<TransactionEvent, "card_region" | "card_bin">;

/** The zone one event's card belongs to. */
export function homeZone(event: HomeFields, rules: ResidencyRules): ResidencyZone {
  if (event.card_region === "EU") return "eu";
  if (event.card_bin !== undefined && binInTable(event.card_bin, rules.euBins)) return "eu";
  return "default";
}

/** The zone of one card's events (one scorer call): EU when any of them says EU. */
export function cardZone(events: readonly HomeFields[], rules: ResidencyRules): ResidencyZone {
  return events.some((e) => homeZone(e, rules) === "eu") ? "eu" : "default";
}

/**
 * The CardScorer port over one scorer per zone: each call goes to the card's zone. On Workers the
 * zones are the CardState namespace and its EU jurisdiction; on Deno, one KV store per zone.
 */
export function residentScorer(scorers: Record<ResidencyZone, CardScorer>, rules: ResidencyRules): CardScorer {
  return {
    scoreCard(cardHash: string, items: ScoreItem[]): Promise<ScoreAnswer[]> {
      return scorers[cardZone(items.map((i) => i.event), rules)].scoreCard(cardHash, items);
    },
  };
}

/**
 * Splits records by their card's zone, keeping their order inside each zone. Records of one card
 * go together, decided as the scorer decided for them (EU when any of them says EU). A record
 * carries the zone the route decided (ScoredEvent.zone); only a record without one (an envelope
 * from an older edge) has it computed here from its event.
 */
export function splitByZone<T extends { event: HomeFields & { card_number_hash: string }; zone?: ResidencyZone | undefined }>(
  records: readonly T[],
  rules: ResidencyRules,
): Record<ResidencyZone, T[]> {
  const eu = new Set<string>();
  for (const r of records) if ((r.zone ?? homeZone(r.event, rules)) === "eu") eu.add(r.event.card_number_hash);
  const out: Record<ResidencyZone, T[]> = { default: [], eu: [] };
  for (const r of records) out[eu.has(r.event.card_number_hash) ? "eu" : "default"].push(r);
  return out;
}

/** The Forwarder port over one forwarder per zone (EU-home events on the EU queue, from every region). */
export function residentForwarder(forwarders: Record<ResidencyZone, Forwarder>, rules: ResidencyRules): Forwarder {
  if (forwarders.eu === forwarders.default) return forwarders.default;
  return {
    async forward(records: ScoredEvent[]) {
      const parts = splitByZone(records, rules);
      await Promise.all(RESIDENCY_ZONES.filter((z) => parts[z].length > 0).map((z) => forwarders[z].forward(parts[z])));
    },
  };
}
