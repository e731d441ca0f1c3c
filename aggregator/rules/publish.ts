import type { ReferenceSnapshot } from "../../core/contracts/reference.js";
import type { ActiveRuleSets } from "../reference/target.js";
import { loadRuleSet, ruleState } from "./store.js";
import type { SqlQuery } from "../ports/index.js";

// What the rules registry publishes to the edge (through reference/publish.ts, the one
// publisher): the active and shadow rule sets, and their part of the snapshot document.

export async function activeRuleSets(sql: SqlQuery): Promise<ActiveRuleSets> {
  const s = await ruleState(sql);
  const out: ActiveRuleSets = {};
  if (s.active !== null) out.active = await loadRuleSet(sql, s.active);
  if (s.shadow !== null) out.shadow = await loadRuleSet(sql, s.shadow);
  return out;
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
