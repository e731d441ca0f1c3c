import { z } from "zod";
import { EntityRiskStatsSchema } from "../schemas.js";
import { ListNameSchema } from "./lists.js";

// The reference data contract between the aggregator (which publishes it) and the edge (which
// reads it): one versioned snapshot document, and the Redis key layout it is stored under when
// Redis (Upstash) carries it. The aggregator writes these keys, the edge's Upstash adapter reads
// them, and the snapshot endpoint serves the same document whole for profiles without Redis.

const risk = z.number().min(0).max(1);
const key = z.string().min(1).max(128);

export const CARD_TIERS = ["LOW", "MEDIUM", "HIGH"] as const;
export type CardTier = (typeof CARD_TIERS)[number];

/**
 * Allow and block lists (core/contracts/lists.ts), a part of its own: list name → key → expiry
 * (ISO date-time; null = never). Expired entries are pruned when published; the engine also drops
 * any it still sees by the event's time.
 */
export const ListsSnapshotSchema = z.partialRecord(ListNameSchema, z.record(key, z.iso.datetime({ offset: true }).nullable()));
export type ListsSnapshot = z.infer<typeof ListsSnapshotSchema>;

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
  /** Matured-label statistics by terminal / merchant id (the label job's); absent = none published. */
  terminal_stats: z.record(key, EntityRiskStatsSchema).optional(),
  merchant_stats: z.record(key, EntityRiskStatsSchema).optional(),
  rules_version: z.string().min(1).max(64).optional(),
  /** The champion: the model that decides (a learned model's version once one was promoted). */
  model_version: z.string().min(1).max(64).optional(),
  /** The shadow: scored beside the champion, reported, never decides. */
  shadow_model_version: z.string().min(1).max(64).optional(),
  /** Model files (vigil.gbdt JSON) by version, for profiles without Redis; validated by the edge with core's schema. */
  models: z.record(z.string().min(1).max(64), z.unknown()).optional(),
  /** Rule sets by version, for profiles without Redis; validated later by core's RuleSet schema. */
  rule_sets: z.record(z.string().min(1).max(64), z.unknown()).optional(),
  /** Allow/block lists; absent = none published. */
  lists: ListsSnapshotSchema.optional(),
});
export type ReferenceSnapshot = z.infer<typeof ReferenceSnapshotSchema>;

/**
 * Where each part of the snapshot lives in Redis. Values are written first and the version
 * counter is incremented last: a reader that sees the new version sees the values it covers.
 */
export const REDIS_KEYS = {
  blockedBins: "vigil:blocked:bins",
  blockedIps: "vigil:blocked:ips",
  merchantRisk: "vigil:risk:merchant",
  terminalRisk: "vigil:risk:terminal",
  ipRisk: "vigil:risk:ip",
  cardTier: "vigil:risk:card_tier",
  /** Hashes of entity id → encodeEntityStats text (core/contracts/entity-stats.ts). */
  terminalStats: "vigil:stats:terminal",
  merchantStats: "vigil:stats:merchant",
  rulesVersion: "vigil:active:rules_version",
  modelVersion: "vigil:active:model_version",
  shadowModelVersion: "vigil:active:shadow_model_version",
  refdataVersion: "vigil:refdata:version",
  ruleSet: (version: string) => `vigil:ruleset:${version}`,
  /** A model file's JSON text (immutable per version). */
  model: (version: string) => `vigil:model:${version}`,
  /** Allow / block list hashes: field `<kind>:<key>` (kind of core/contracts/lists.ts), value the expiry (ISO) or "" for none. */
  listBlock: "vigil:list:block",
  listAllow: "vigil:list:allow",
} as const;
