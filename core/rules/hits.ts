import { canonicalJson } from "../contracts/canonical-json.js";
import type { Decision } from "../schemas.js";
import type { Rule, RuleSet } from "./schema.js";

// Which rules fired for a decision, read back from its reasons. The engine writes one RULE-tier
// reason per fired rule with detail `<rule id>: <description>` (core/engine.ts); rule ids are
// lower-case letters, digits and '-' (schema.ts), so the id is everything before the first ':'.
// Keeping the reading here, beside the schema, makes it one contract for the edge's shadow
// report, the aggregator's live statistics and the backtest.

type Reasoned = Pick<Decision, "reasons" | "verdict">;

export function ruleIdsOf(d: Pick<Decision, "reasons">): string[] {
  const ids: string[] = [];
  for (const r of d.reasons) {
    if (r.tier !== "RULE") continue;
    const i = r.detail.indexOf(":");
    const id = i > 0 ? r.detail.slice(0, i) : r.detail;
    if (!ids.includes(id)) ids.push(id);
  }
  return ids;
}

/**
 * The rule that decided a flagged verdict: when the verdict is REVIEW or BLOCKED and the reason
 * that contributed most (any tier; the first on ties) is a rule's. An APPROVED verdict, or one a
 * statistic, a model or a system reason dominated, was decided by no rule.
 */
export function decidingRuleOf(d: Reasoned): string | undefined {
  if (d.verdict === "APPROVED") return undefined;
  let top: Decision["reasons"][number] | undefined;
  for (const r of d.reasons) if (top === undefined || r.contribution > top.contribution) top = r;
  if (top === undefined || top.tier !== "RULE" || !(top.contribution > 0)) return undefined;
  const i = top.detail.indexOf(":");
  return i > 0 ? top.detail.slice(0, i) : top.detail;
}

export interface RuleSetDiff {
  added: string[];
  removed: string[];
  /** Same id, any field different (description, reason code, score, action or condition). */
  changed: string[];
}

const canonical = canonicalJson;

/** What changes at the edge when `to` replaces `from` (undefined: nothing was active before). */
export function diffRuleSets(from: Pick<RuleSet, "rules"> | undefined, to: Pick<RuleSet, "rules">): RuleSetDiff {
  const before = new Map<string, Rule>((from?.rules ?? []).map((r) => [r.id, r]));
  const after = new Map<string, Rule>(to.rules.map((r) => [r.id, r]));
  const added = [...after.keys()].filter((id) => !before.has(id));
  const removed = [...before.keys()].filter((id) => !after.has(id));
  const changed = [...after.keys()].filter((id) => before.has(id) && canonical(before.get(id)) !== canonical(after.get(id)));
  return { added, removed, changed };
}

export { canonicalJson };
