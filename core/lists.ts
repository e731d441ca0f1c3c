import { ALLOW_LIST, LIST_BLOCK, type ListHit } from "./contracts/lists.js";
import type { Decision, Verdict } from "./schemas.js";

// Allow and block lists in the verdict. The edge finds an event's entries in maps built once per
// reference snapshot (edge/reference/snapshot.ts) and passes them as `list_hits`; here, purely,
// expiry is judged against the EVENT time (so an expired entry stops acting without a deploy, and
// a replay decides as the edge did), then precedence:
//   1. an active block entry → BLOCKED (LIST_BLOCK), whatever else fired; allow never overrides it;
//   2. an active allow entry → APPROVED (ALLOW_LIST) when the verdict is REVIEW, or BLOCKED only
//      because an overridable rule forced it; never when a rule marked `non_overridable` forced
//      the verdict, nor when the score itself reaches the block threshold.

/** The entries of `hits` still in force at event time `T` (epoch ms). */
export function activeLists(hits: readonly ListHit[] | undefined, T: number): { block: ListHit | undefined; allow: ListHit | undefined } {
  let block: ListHit | undefined;
  let allow: ListHit | undefined;
  if (hits) {
    for (const h of hits) {
      if (h.expires_at_ms !== undefined && T >= h.expires_at_ms) continue;
      if (h.action === "block") block ??= h;
      else allow ??= h;
    }
  }
  return { block, allow };
}

export interface ListContext {
  block: ListHit | undefined;
  allow: ListHit | undefined;
  /** A fired rule marked non_overridable forced an action. */
  hardRule: boolean;
  /** The score before any rule forced the verdict (what the tiers alone say). */
  unforcedScore: number;
  thresholds: { block: number; review: number };
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const until = (h: ListHit) => (h.expires_at_ms === undefined ? "no expiry" : `until ${new Date(h.expires_at_ms).toISOString()}`);

/** Applies list precedence to a decision in place; returns whether the verdict was decided by a list. */
export function applyLists(d: Decision, ctx: ListContext): boolean {
  const th = ctx.thresholds;
  if (ctx.block) {
    const before = d.fraud_score;
    d.verdict = "BLOCKED";
    d.fraud_score = Math.max(d.fraud_score, th.block);
    d.confidence = 1;
    if (!d.rule_triggers.includes(LIST_BLOCK)) d.rule_triggers.push(LIST_BLOCK);
    d.reasons.push({ code: LIST_BLOCK, tier: "RULE", detail: `${ctx.block.kind} is on the block list (${until(ctx.block)})`, contribution: round1(d.fraud_score - before) });
    return true;
  }
  if (!ctx.allow || ctx.hardRule || d.verdict === "APPROVED") return false;
  const base: Verdict = ctx.unforcedScore >= th.block ? "BLOCKED" : ctx.unforcedScore >= th.review ? "REVIEW" : "APPROVED";
  if (base === "BLOCKED") return false;
  d.verdict = "APPROVED";
  d.fraud_score = Math.max(0, round1(Math.min(ctx.unforcedScore, th.review - 0.1)));
  d.confidence = 1;
  if (!d.rule_triggers.includes(ALLOW_LIST)) d.rule_triggers.push(ALLOW_LIST);
  d.reasons.push({ code: ALLOW_LIST, tier: "RULE", detail: `${ctx.allow.kind} is on the allow list (${until(ctx.allow)}): ${base} lowered to APPROVED`, contribution: 0 });
  return true;
}
