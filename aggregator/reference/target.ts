import type { Redis } from "@upstash/redis";
import { REDIS_KEYS } from "../../core/contracts/reference.js";
import type { RuleSet } from "../../core/rules/schema.js";
import type { ListDelta } from "./lists.js";

// The one place reference data leaves the aggregator for the edge. Risk (with allow/block lists),
// rule sets and models are each one publication; a target takes it whole or not at all. Redis
// (stack): every value of a publication and then INCR vigil:refdata:version in one MULTI, so an
// edge that sees the new version also sees the new values. Without a target (embedded) the edge
// reads GET /v1/reference/snapshot, built from the tables, versioned by fraud_ops.refdata_state.

export type PublishedKind = "merchant" | "terminal" | "card_tier" | "terminal_stats" | "merchant_stats";
export const KINDS: readonly PublishedKind[] = ["merchant", "terminal", "card_tier", "terminal_stats", "merchant_stats"];

export const REDIS_HASH: Record<PublishedKind, string> = {
  merchant: REDIS_KEYS.merchantRisk,
  terminal: REDIS_KEYS.terminalRisk,
  card_tier: REDIS_KEYS.cardTier,
  terminal_stats: REDIS_KEYS.terminalStats,
  merchant_stats: REDIS_KEYS.merchantStats,
};
export const REDIS_VERSION_KEY = REDIS_KEYS.refdataVersion;

/** Label-derived risk: only what differs from the last publication. */
export interface ReferenceDelta {
  set: Record<PublishedKind, Record<string, string>>;
  del: Record<PublishedKind, string[]>;
  changes: number;
  /** Allow/block list changes (lists.ts); absent = none. */
  lists?: ListDelta;
}

export interface ActiveRuleSets {
  active?: RuleSet;
  shadow?: RuleSet;
}

export interface ActiveModelFiles {
  champion?: { version: string; json: string };
  shadow?: { version: string; json: string };
}

export type ReferencePublication = { risk: ReferenceDelta } | { rules: ActiveRuleSets } | { models: ActiveModelFiles };

/** Where published values go; resolves once they are durable there (rejects otherwise). */
export interface ReferenceTarget {
  name: string;
  apply(publication: ReferencePublication): Promise<void>;
}

type Multi = ReturnType<Redis["multi"]>;

function writeRisk(m: Multi, delta: ReferenceDelta): void {
  for (const k of KINDS) {
    if (Object.keys(delta.set[k]).length > 0) m.hset(REDIS_HASH[k], delta.set[k]);
    if (delta.del[k].length > 0) m.hdel(REDIS_HASH[k], ...delta.del[k]);
  }
  const lists = delta.lists;
  if (!lists) return;
  for (const [a, key] of [["block", REDIS_KEYS.listBlock], ["allow", REDIS_KEYS.listAllow]] as const) {
    if (Object.keys(lists.set[a]).length > 0) m.hset(key, lists.set[a]);
    if (lists.del[a].length > 0) m.hdel(key, ...lists.del[a]);
  }
}

function writeRules(m: Multi, a: ActiveRuleSets): void {
  // Rule sets are immutable per version, so they go before the versions that name them.
  for (const rs of [a.active, a.shadow]) if (rs) m.set(REDIS_KEYS.ruleSet(rs.version), JSON.stringify(rs));
  // Nothing active in the registry: the edge's bundled rules decide (the key absent).
  if (a.active) m.set(REDIS_KEYS.rulesVersion, a.active.version);
  if (a.shadow) m.set(REDIS_KEYS.shadowRulesVersion, a.shadow.version);
  else m.del(REDIS_KEYS.shadowRulesVersion);
}

function writeModels(m: Multi, a: ActiveModelFiles): void {
  for (const f of [a.champion, a.shadow]) if (f) m.set(REDIS_KEYS.model(f.version), f.json);
  if (a.champion) m.set(REDIS_KEYS.modelVersion, a.champion.version);
  if (a.shadow) m.set(REDIS_KEYS.shadowModelVersion, a.shadow.version);
  else m.del(REDIS_KEYS.shadowModelVersion);
}

/** The stack profile's target: the Redis layout the edge's Upstash adapter reads. */
export function redisReferenceTarget(redis: Redis): ReferenceTarget {
  return {
    name: "redis",
    async apply(p) {
      const m = redis.multi();
      if ("risk" in p) writeRisk(m, p.risk);
      else if ("rules" in p) writeRules(m, p.rules);
      else writeModels(m, p.models);
      m.incr(REDIS_VERSION_KEY);
      await m.exec();
    },
  };
}
