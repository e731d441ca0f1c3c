import type { CardTier, ReferenceSnapshot } from "../../core/contracts/reference.js";
import type { EntityRiskStats, ReferenceSignals, TransactionEvent } from "../../core/schemas.js";
import type { ReferenceLookup } from "../ports.js";
import { indexLists, listHitsFor, type ListIndex } from "./lists.js";

// Lookups in the reference snapshot (core/contracts/reference.ts). The Upstash adapter loads Redis
// into that shape; the snapshot adapter fetches it whole (GET /v1/reference/snapshot from the
// aggregator). One mapping function serves both.

/** The snapshot compiled for lookups: sets and maps instead of arrays and records. */
export interface ReferenceIndex {
  version: number;
  bins: ReadonlySet<string>;
  ips: ReadonlySet<string>;
  merchantRisk: ReadonlyMap<string, number>;
  terminalRisk: ReadonlyMap<string, number>;
  ipRisk: ReadonlyMap<string, number>;
  cardTier: ReadonlyMap<string, CardTier>;
  terminalStats: ReadonlyMap<string, EntityRiskStats>;
  merchantStats: ReadonlyMap<string, EntityRiskStats>;
  rulesVersion?: string;
  modelVersion?: string;
  shadowModelVersion?: string;
  ruleSets: ReadonlyMap<string, unknown>;
  /** Model files by version (snapshot profile; the Upstash adapter reads them by key instead). */
  models: ReadonlyMap<string, unknown>;
  /** Allow/block lists (edge/reference/lists.ts). */
  lists: ListIndex;
}

export function indexSnapshot(s: ReferenceSnapshot): ReferenceIndex {
  return {
    version: s.version,
    bins: new Set(s.bins),
    ips: new Set(s.ips),
    merchantRisk: new Map(Object.entries(s.merchant_risk)),
    terminalRisk: new Map(Object.entries(s.terminal_risk)),
    ipRisk: new Map(Object.entries(s.ip_risk)),
    cardTier: new Map(Object.entries(s.card_tier)),
    terminalStats: new Map(Object.entries(s.terminal_stats ?? {})),
    merchantStats: new Map(Object.entries(s.merchant_stats ?? {})),
    ...(s.rules_version !== undefined ? { rulesVersion: s.rules_version } : {}),
    ...(s.model_version !== undefined ? { modelVersion: s.model_version } : {}),
    ...(s.shadow_model_version !== undefined ? { shadowModelVersion: s.shadow_model_version } : {}),
    ruleSets: new Map(Object.entries(s.rule_sets ?? {})),
    models: new Map(Object.entries(s.models ?? {})),
    lists: indexLists(s.lists),
  };
}

function binBlocked(bins: ReadonlySet<string>, cardBin: string): boolean {
  for (let len = 6; len <= cardBin.length; len++) {
    if (bins.has(cardBin.slice(0, len))) return true;
  }
  return false;
}

/**
 * Maps one event to its reference signals. A value the tables do not hold stays absent (the engine
 * applies its own prior); a flag is set only when the event carries the field it is keyed on.
 */
export function signalsFor(index: ReferenceIndex, event: TransactionEvent): ReferenceSignals {
  const signals: ReferenceSignals = { status: "OK" };
  const merchant = index.merchantRisk.get(event.merchant_id);
  if (merchant !== undefined) signals.merchant_risk_score = merchant;
  const merchantStats = index.merchantStats.get(event.merchant_id);
  if (merchantStats !== undefined) signals.merchant_stats = merchantStats;
  if (event.terminal_id !== undefined) {
    const terminal = index.terminalRisk.get(event.terminal_id);
    if (terminal !== undefined) signals.terminal_risk_score = terminal;
    const terminalStats = index.terminalStats.get(event.terminal_id);
    if (terminalStats !== undefined) signals.terminal_stats = terminalStats;
  }
  if (event.ip_address_hash !== undefined) {
    const ip = index.ipRisk.get(event.ip_address_hash);
    if (ip !== undefined) signals.ip_reputation_score = ip;
    signals.ip_blocked = index.ips.has(event.ip_address_hash);
  }
  if (event.card_bin !== undefined) signals.bin_blocked = binBlocked(index.bins, event.card_bin);
  const tier = index.cardTier.get(event.card_number_hash);
  if (tier !== undefined) signals.card_risk_tier = tier;
  const hits = listHitsFor(index.lists, event);
  if (hits !== undefined) signals.list_hits = hits;
  return signals;
}

export function lookupIn(index: ReferenceIndex, event: TransactionEvent): ReferenceLookup {
  return {
    signals: signalsFor(index, event),
    ...(index.rulesVersion !== undefined ? { rulesVersion: index.rulesVersion } : {}),
    ...(index.modelVersion !== undefined ? { modelVersion: index.modelVersion } : {}),
    ...(index.shadowModelVersion !== undefined ? { shadowModelVersion: index.shadowModelVersion } : {}),
  };
}

/** What a lookup answers when no usable reference data could be read; the engine applies the channel policy. */
export function unavailable(): ReferenceLookup {
  return { signals: { status: "UNAVAILABLE" } };
}
