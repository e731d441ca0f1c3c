import type { Redis } from "@upstash/redis";
import { REDIS_KEYS, type ReferenceSnapshot } from "../../core/contracts/reference.js";
import type { RuleSet } from "../../core/rules/schema.js";
import { loadRuleSet, ruleState } from "./store.js";
import type { OpsSql, SqlQuery } from "../ports/index.js";

// Publishing the active and shadow rule sets to the edge as reference data, the way models are
// (aggregator/training/publish.ts). Redis (stack): the rule sets first (vigil:ruleset:<version>,
// immutable per version), then vigil:active:rules_version and vigil:active:shadow_rules_version,
// then INCR vigil:refdata:version, so an edge that sees the new version can already read the
// rules. Without Redis (embedded) the snapshot carries versions and rule sets, and bumping
// fraud_ops.refdata_state makes the edge's snapshot adapter reload.

export interface ActiveRuleSets {
  active?: RuleSet;
  shadow?: RuleSet;
}

export interface RulesTarget {
  name: string;
  apply(sets: ActiveRuleSets): Promise<void>;
}

export async function activeRuleSets(sql: SqlQuery): Promise<ActiveRuleSets> {
  const s = await ruleState(sql);
  const out: ActiveRuleSets = {};
  if (s.active !== null) out.active = await loadRuleSet(sql, s.active);
  if (s.shadow !== null) out.shadow = await loadRuleSet(sql, s.shadow);
  return out;
}

export function redisRulesTarget(redis: Redis): RulesTarget {
  return {
    name: "redis",
    async apply(a) {
      const p = redis.multi();
      for (const rs of [a.active, a.shadow]) if (rs) p.set(REDIS_KEYS.ruleSet(rs.version), JSON.stringify(rs));
      // Nothing active in the registry: the edge's bundled rules decide (the key absent).
      if (a.active) p.set(REDIS_KEYS.rulesVersion, a.active.version);
      if (a.shadow) p.set(REDIS_KEYS.shadowRulesVersion, a.shadow.version);
      else p.del(REDIS_KEYS.shadowRulesVersion);
      p.incr(REDIS_KEYS.refdataVersion);
      await p.exec();
    },
  };
}

/** The embedded profile's target: the snapshot is built per request; a new version tells edges to reload it. */
export function snapshotRulesTarget(sql: OpsSql, now: () => number): RulesTarget {
  return {
    name: "snapshot",
    async apply() {
      await sql.query("UPDATE fraud_ops.refdata_state SET version = version + 1, updated_at = $1 WHERE id = 1", [new Date(now()).toISOString()]);
    },
  };
}

/** The rules part of the snapshot document (overlaid on the base's versions). */
export async function snapshotRules(sql: SqlQuery): Promise<Partial<ReferenceSnapshot>> {
  const a = await activeRuleSets(sql);
  const sets: Record<string, unknown> = {};
  for (const rs of [a.active, a.shadow]) if (rs) sets[rs.version] = rs;
  return {
    ...(a.active ? { rules_version: a.active.version } : {}),
    ...(a.shadow ? { shadow_rules_version: a.shadow.version } : {}),
    ...(Object.keys(sets).length > 0 ? { rule_sets: sets } : {}),
  };
}
