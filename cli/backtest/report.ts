import { averagePrecision, cardPrecisionAtK, rocAuc, type Scored } from "../../core/eval/metrics.js";
import type { ReplayOutcome } from "../../core/backtest/replay.js";

// Detection figures of a replay against labels. Unlabelled events count as legitimate, as in
// `vigil eval`: most traffic never gets a label, and a fraud nobody reported is invisible anyway.

export interface VerdictFigures {
  /** Frauds whose verdict was at least this one. */
  recall: number;
  /** Legitimate events whose verdict was at least this one. */
  falsePositiveRate: number;
  flagged: number;
}

export interface RuleFigures {
  code: string;
  hits: number;
  frauds: number;
  /** frauds / hits. */
  precision: number;
}

export interface BacktestReport {
  events: number;
  labelled: number;
  frauds: number;
  skipped: number;
  outOfRange: number;
  cards: number;
  aucRoc: number;
  averagePrecision: number;
  cardPrecisionAt100: number;
  review: VerdictFigures;
  block: VerdictFigures;
  rules: RuleFigures[];
}

export interface ReportInputs {
  outcomes: readonly ReplayOutcome[];
  labels: ReadonlyMap<string, boolean>;
  skipped: number;
  outOfRange: number;
}

function atVerdict(items: ReadonlyArray<{ isFraud: boolean; flagged: boolean }>): VerdictFigures {
  let pos = 0, tp = 0, neg = 0, fp = 0;
  for (const i of items) {
    if (i.isFraud) { pos++; if (i.flagged) tp++; }
    else { neg++; if (i.flagged) fp++; }
  }
  return { recall: pos === 0 ? Number.NaN : tp / pos, falsePositiveRate: neg === 0 ? Number.NaN : fp / neg, flagged: tp + fp };
}

export function summarize({ outcomes, labels, skipped, outOfRange }: ReportInputs): BacktestReport {
  let labelled = 0;
  const scored: Array<Scored & { verdict: string }> = outcomes.map((o) => {
    const label = labels.get(o.transactionId);
    if (label !== undefined) labelled++;
    return { score: o.score, isFraud: label === true, card: o.card, verdict: o.verdict };
  });
  const rules = new Map<string, RuleFigures>();
  outcomes.forEach((o, i) => {
    for (const code of o.ruleTriggers) {
      const r = rules.get(code) ?? { code, hits: 0, frauds: 0, precision: Number.NaN };
      r.hits++;
      if (scored[i]!.isFraud) r.frauds++;
      rules.set(code, r);
    }
  });
  for (const r of rules.values()) r.precision = r.frauds / r.hits;
  return {
    events: outcomes.length,
    labelled,
    frauds: scored.filter((s) => s.isFraud).length,
    skipped,
    outOfRange,
    cards: new Set(outcomes.map((o) => o.card)).size,
    aucRoc: rocAuc(scored),
    averagePrecision: averagePrecision(scored),
    cardPrecisionAt100: cardPrecisionAtK(scored, 100),
    // The verdicts as decided, so forced verdicts (BLOCK/REVIEW rules) count as the edge would.
    review: atVerdict(scored.map((s) => ({ isFraud: s.isFraud, flagged: s.verdict !== "APPROVED" }))),
    block: atVerdict(scored.map((s) => ({ isFraud: s.isFraud, flagged: s.verdict === "BLOCKED" }))),
    rules: [...rules.values()].sort((a, b) => b.hits - a.hits || (a.code < b.code ? -1 : 1)),
  };
}

const f4 = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : "—");
const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(2)}%` : "—");

/** The human-readable report (stdout). */
export function formatReport(r: BacktestReport, header: string): string {
  const lines = [
    header,
    `events ${r.events} (${r.cards} cards), labelled ${r.labelled}, frauds ${r.frauds}, skipped ${r.skipped} bad lines, ${r.outOfRange} outside --from/--to`,
    `AUC ROC                 ${f4(r.aucRoc)}`,
    `average precision       ${f4(r.averagePrecision)}`,
    `card precision@100      ${f4(r.cardPrecisionAt100)}`,
    `REVIEW or above         recall ${pct(r.review.recall)}, FPR ${pct(r.review.falsePositiveRate)} (${r.review.flagged} flagged)`,
    `BLOCKED                 recall ${pct(r.block.recall)}, FPR ${pct(r.block.falsePositiveRate)} (${r.block.flagged} flagged)`,
    "",
    `${"rule trigger".padEnd(36)} ${"hits".padStart(8)} ${"frauds".padStart(8)} ${"precision".padStart(10)}`,
    ...r.rules.map((x) => `${x.code.padEnd(36)} ${String(x.hits).padStart(8)} ${String(x.frauds).padStart(8)} ${f4(x.precision).padStart(10)}`),
  ];
  if (r.rules.length === 0) lines.push("(no rule fired)");
  return lines.join("\n");
}

/** JSON with NaN as null, since JSON has no NaN. */
export function reportJson(r: BacktestReport, extra: Record<string, unknown>): string {
  return JSON.stringify({ ...extra, ...r }, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2);
}
