import type { ReplayOutcome } from "./replay.js";

// Rule-level detection figures of a replay against labels: what an analyst asks before a rule
// set goes live ("how often would it fire, and how often on fraud?"). As in `vigil backtest`, an
// unlabelled event counts as legitimate (most traffic never gets a label; a fraud nobody reported
// is invisible anyway), so false positives are hits on events not labelled fraud.

export interface HitFigures {
  hits: number;
  /** Hits on events labelled fraud. */
  true_positives: number;
  /** Hits on events not labelled fraud. */
  false_positives: number;
  /** true_positives / hits; null with no hit. */
  precision: number | null;
  /** true_positives / frauds of the range; null with no fraud. */
  recall: number | null;
}

export interface RuleFigures extends HitFigures {
  rule_id: string;
}

export interface RuleSetFigures {
  /** Any rule fired. */
  overall: HitFigures;
  /** The verdict was REVIEW or BLOCKED (rules, statistics and model together, as the edge decides). */
  flagged: HitFigures;
  blocked: HitFigures;
  /** Every rule of the set, in the set's order, including those that never fired. */
  rules: RuleFigures[];
}

const ratio = (a: number, b: number): number | null => (b === 0 ? null : Math.round((a / b) * 1e6) / 1e6);

function figures(hits: number, tp: number, frauds: number): HitFigures {
  return { hits, true_positives: tp, false_positives: hits - tp, precision: ratio(tp, hits), recall: ratio(tp, frauds) };
}

/** `ruleIds`: the set's rules in order (a rule that never fired is listed with zeros). */
export function ruleSetFigures(outcomes: readonly ReplayOutcome[], labels: ReadonlyMap<string, boolean>, ruleIds: readonly string[]): RuleSetFigures {
  let frauds = 0, anyHits = 0, anyTp = 0, flagged = 0, flaggedTp = 0, blocked = 0, blockedTp = 0;
  const per = new Map<string, { hits: number; tp: number }>(ruleIds.map((id) => [id, { hits: 0, tp: 0 }]));
  for (const o of outcomes) {
    const fraud = labels.get(o.transactionId) === true;
    if (fraud) frauds++;
    if (o.ruleIds.length > 0) { anyHits++; if (fraud) anyTp++; }
    if (o.verdict !== "APPROVED") { flagged++; if (fraud) flaggedTp++; }
    if (o.verdict === "BLOCKED") { blocked++; if (fraud) blockedTp++; }
    for (const id of o.ruleIds) {
      let r = per.get(id);
      if (!r) per.set(id, (r = { hits: 0, tp: 0 }));
      r.hits++;
      if (fraud) r.tp++;
    }
  }
  return {
    overall: figures(anyHits, anyTp, frauds),
    flagged: figures(flagged, flaggedTp, frauds),
    blocked: figures(blocked, blockedTp, frauds),
    rules: [...per].map(([rule_id, r]) => ({ rule_id, ...figures(r.hits, r.tp, frauds) })),
  };
}
