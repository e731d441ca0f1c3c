import { z } from "zod";
import type { ReferenceSignals, TransactionEvent } from "../../core/schemas.js";
import type { ReferenceLookup } from "../ports.js";

// The reference snapshot: every block list and risk table the edge reads, in one versioned JSON
// document. The Upstash adapter loads Redis into this shape; the snapshot adapter fetches it whole
// (GET /v1/reference/snapshot from the aggregator). One mapping function serves both.

const risk = z.number().min(0).max(1);
const key = z.string().min(1).max(128);

export const CARD_TIERS = ["LOW", "MEDIUM", "HIGH"] as const;

export const ReferenceSnapshotSchema = z.strictObject({
  /** Monotonic publish counter (`vigil:refdata:version`); 0 when nothing was ever published. */
  version: z.number().int().min(0),
  /** Blocked BIN prefixes, 6 to 8 digits; an event's `card_bin` is blocked when any prefix of it is listed. */
  bins: z.array(z.string().regex(/^\d{6,8}$/, "6 to 8 digits")),
  /** Blocked IP address hashes (the same hash the terminals send in `ip_address_hash`). */
  ips: z.array(key),
  merchant_risk: z.record(key, risk),
  terminal_risk: z.record(key, risk),
  ip_risk: z.record(key, risk),
  /** By card hash: only cards with a tier assigned are listed. */
  card_tier: z.record(key, z.enum(CARD_TIERS)),
  rules_version: z.string().min(1).max(64).optional(),
  model_version: z.string().min(1).max(64).optional(),
  /** Rule sets by version, for profiles without Redis; validated later by core's RuleSet schema. */
  rule_sets: z.record(z.string().min(1).max(64), z.unknown()).optional(),
});
export type ReferenceSnapshot = z.infer<typeof ReferenceSnapshotSchema>;

/** The snapshot compiled for lookups: sets and maps instead of arrays and records. */
export interface ReferenceIndex {
  version: number;
  bins: ReadonlySet<string>;
  ips: ReadonlySet<string>;
  merchantRisk: ReadonlyMap<string, number>;
  terminalRisk: ReadonlyMap<string, number>;
  ipRisk: ReadonlyMap<string, number>;
  cardTier: ReadonlyMap<string, (typeof CARD_TIERS)[number]>;
  rulesVersion?: string;
  modelVersion?: string;
  ruleSets: ReadonlyMap<string, unknown>;
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
    ...(s.rules_version !== undefined ? { rulesVersion: s.rules_version } : {}),
    ...(s.model_version !== undefined ? { modelVersion: s.model_version } : {}),
    ruleSets: new Map(Object.entries(s.rule_sets ?? {})),
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
  if (event.terminal_id !== undefined) {
    const terminal = index.terminalRisk.get(event.terminal_id);
    if (terminal !== undefined) signals.terminal_risk_score = terminal;
  }
  if (event.ip_address_hash !== undefined) {
    const ip = index.ipRisk.get(event.ip_address_hash);
    if (ip !== undefined) signals.ip_reputation_score = ip;
    signals.ip_blocked = index.ips.has(event.ip_address_hash);
  }
  if (event.card_bin !== undefined) signals.bin_blocked = binBlocked(index.bins, event.card_bin);
  const tier = index.cardTier.get(event.card_number_hash);
  if (tier !== undefined) signals.card_risk_tier = tier;
  return signals;
}

export function lookupIn(index: ReferenceIndex, event: TransactionEvent): ReferenceLookup {
  return {
    signals: signalsFor(index, event),
    ...(index.rulesVersion !== undefined ? { rulesVersion: index.rulesVersion } : {}),
    ...(index.modelVersion !== undefined ? { modelVersion: index.modelVersion } : {}),
  };
}

/** What a lookup answers when no usable reference data could be read; the engine applies the channel policy. */
export function unavailable(): ReferenceLookup {
  return { signals: { status: "UNAVAILABLE" } };
}
