import { replay } from "../../core/backtest/replay.js";
import { ruleSetFigures, type RuleSetFigures } from "../../core/backtest/rule-figures.js";
import { createEngine } from "../../core/engine.js";
import { defaultConfig, defaultModel } from "../../core/engine-default.js";
import type { RuleSet } from "../../core/rules/schema.js";
import type { Archive, SqlQuery } from "../ports/index.js";
import { readArchiveEvents } from "../stores/archive-events.js";
import { currentLabels } from "../risk/labels.js";

// A rule set replayed over the archived events of [from, to) — the raw/transactions/ Parquet the
// archive sink wrote — through core's engine with fresh card state (core/backtest/replay.ts, the
// replay `vigil backtest` runs), beside the active set on the same events, graded against the
// current labels. Both sets score with the bundled model and config, so only the rules differ.
// Reference lookups are not part of an event record: block-list rules cannot fire here.

export interface BacktestInput {
  candidate: RuleSet;
  active: RuleSet;
  fromMs: number;
  toMs: number;
}

export interface BacktestResult {
  from: string;
  to: string;
  events: number;
  labelled: number;
  frauds: number;
  skipped: number;
  files: number;
  model_version: string;
  candidate: RuleSetFigures & { version: string };
  active: RuleSetFigures & { version: string };
}

export async function backtestRuleSets(sql: SqlQuery, archive: Archive, input: BacktestInput, rootPrefix?: string): Promise<BacktestResult> {
  const { events, bad, files } = await readArchiveEvents(archive, { fromMs: input.fromMs, toMs: input.toMs, rootPrefix });
  // The archive may hold a retried batch twice under other log positions: one event per id.
  const unique = [...new Map(events.map((e) => [e.transaction_id, e])).values()];
  const labels = await currentLabels(sql, unique.map((e) => e.transaction_id));
  const items = unique.map((event) => ({ event }));
  const run = (rs: RuleSet) => {
    const engine = createEngine({ config: defaultConfig(), ruleSet: rs, model: defaultModel() });
    const r = replay(items, engine, { fromMs: input.fromMs, toMs: input.toMs });
    return { engine, outcomes: r.outcomes };
  };
  const cand = run(input.candidate);
  const act = run(input.active);
  const ids = new Set(cand.outcomes.map((o) => o.transactionId));
  let labelled = 0, frauds = 0;
  for (const id of ids) {
    const l = labels.get(id);
    if (l !== undefined) labelled++;
    if (l === true) frauds++;
  }
  return {
    from: new Date(input.fromMs).toISOString(),
    to: new Date(input.toMs).toISOString(),
    events: cand.outcomes.length,
    labelled,
    frauds,
    skipped: bad.length,
    files,
    model_version: cand.engine.modelVersion,
    candidate: { version: input.candidate.version, ...ruleSetFigures(cand.outcomes, labels, input.candidate.rules.map((r) => r.id)) },
    active: { version: input.active.version, ...ruleSetFigures(act.outcomes, labels, input.active.rules.map((r) => r.id)) },
  };
}
