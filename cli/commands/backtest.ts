import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createEngine, defaultConfig, defaultModel, defaultRuleSet, parseRuleSet, parseScoringConfig, type Engine } from "../../core/index.js";
import { createLocalArchive } from "../../aggregator/stores/local-archive.js";
import { compileGbdt } from "../../core/ml/gbdt/index.js";
import { readArchiveEvents } from "../../aggregator/stores/archive-events.js";
import { readPgLabels, readPgLabelsFrom } from "../backtest/labels-pg.js";
import { parseEventsJsonl, parseLabels, type ParsedEvents } from "../backtest/inputs.js";
import { replay } from "../../core/backtest/replay.js";
import { formatReport, reportJson, summarize, type BacktestReport } from "../backtest/report.js";
import { progress } from "../progress.js";
import { UsageError, num, type Command } from "./common.js";
import type { SqlQuery } from "../../aggregator/ports/index.js";

// `vigil backtest`: a model and rule-set version replayed over recorded events with fresh card
// state, graded against labels. Reference lookups (BIN/IP lists, risk tiers) are not part of an
// event record, so the replay scores with none: block-list rules cannot fire here. Terminal and
// merchant label statistics (what learned models read) are rebuilt as the label job would have
// published them at each event's time: from the given labels, only transactions matured before the
// event (--label-delay-days, default 7), smoothed toward the population rate of that time.

export const BACKTEST_USAGE = "backtest (--events FILE.jsonl | --archive DIR [--archive-prefix P]) (--labels FILE(.csv|.jsonl) | --labels-pg URL) [--rules FILE.json] [--model GBDT.json] [--config FILE.json] [--from ISO] [--to ISO] [--label-delay-days 7] [--prior-strength 10] [--json]";

function readJson(file: string, flag: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new UsageError(`${flag} ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function isoBound(raw: string | undefined, flag: string): number | undefined {
  if (raw === undefined) return undefined;
  const ms = Date.parse(raw);
  if (!Number.isFinite(ms)) throw new UsageError(`${flag} must be an ISO date or date-time (got ${JSON.stringify(raw)})`);
  return ms;
}

export interface BacktestArgs {
  /** Exactly one of events (a JSONL file) and archive (the embedded profile's archive folder). */
  events?: string | undefined;
  archive?: string | undefined;
  /** The archive sink's root prefix, when one was configured. */
  archivePrefix?: string | undefined;
  /** Exactly one of labels (a file), labelsPg (a PostgreSQL URL) and labelsSql (an open client, tests). */
  labels?: string | undefined;
  labelsPg?: string | undefined;
  labelsSql?: SqlQuery | undefined;
  rules?: string | undefined;
  model?: string | undefined;
  config?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  /** D of the replayed terminal/merchant statistics (default 7). */
  labelDelayDays?: number | undefined;
  /** Smoothing weight of those statistics (default 10, the label job's). */
  priorStrength?: number | undefined;
  /** Progress callback; the CLI passes a bar on stderr. */
  onProgress?: (done: number, total: number) => void;
}

export interface BacktestRun {
  report: BacktestReport;
  badLines: Array<{ line: number; message: string }>;
  engine: Pick<Engine, "rulesVersion" | "modelVersion" | "configVersion">;
}

async function loadLabels(a: BacktestArgs, ids: string[]): Promise<ReadonlyMap<string, boolean>> {
  if (a.labelsSql) return readPgLabels(a.labelsSql, ids);
  if (a.labelsPg !== undefined) return readPgLabelsFrom(a.labelsPg, ids);
  const parsed = parseLabels(readFileSync(a.labels ?? "", "utf8"));
  if (parsed.bad.length > 0) throw new UsageError(`--labels ${a.labels}: line ${parsed.bad[0]!.line}: ${parsed.bad[0]!.message} (${parsed.bad.length} bad lines)`);
  return parsed.labels;
}

/** Everything but printing, so tests drive the same path as the CLI. */
export async function runBacktest(a: BacktestArgs): Promise<BacktestRun> {
  if ((a.events === undefined) === (a.archive === undefined)) throw new UsageError("give one of --events and --archive");
  if ([a.labels, a.labelsPg, a.labelsSql].filter((x) => x !== undefined).length !== 1) throw new UsageError("give one of --labels and --labels-pg");
  const fromMs = isoBound(a.from, "--from");
  const toMs = isoBound(a.to, "--to");
  if (fromMs !== undefined && toMs !== undefined && !(fromMs < toMs)) throw new UsageError("--from must be before --to");
  const config = a.config ? parseScoringConfig(readJson(a.config, "--config")) : defaultConfig();
  const ruleSet = a.rules ? parseRuleSet(readJson(a.rules, "--rules")) : defaultRuleSet();
  const learned = a.model ? compileGbdt(readJson(a.model, "--model")) : undefined;
  const engine = createEngine({ config, ruleSet, model: defaultModel(), ...(learned ? { learned } : {}) });
  const source: ParsedEvents = a.events !== undefined
    ? parseEventsJsonl(readFileSync(a.events, "utf8"))
    : await readArchiveEvents(createLocalArchive(a.archive ?? ""), { fromMs, toMs, rootPrefix: a.archivePrefix });
  const { events, bad } = source;
  const labels = await loadLabels(a, events.map((e) => e.transaction_id));
  const r = replay(events.map((event) => ({ event })), engine, {
    pointInTime: { labels, labelDelayMs: (a.labelDelayDays ?? 7) * 86_400_000, priorStrength: a.priorStrength ?? 10 },
    ...(fromMs !== undefined ? { fromMs } : {}), ...(toMs !== undefined ? { toMs } : {}), ...(a.onProgress ? { onProgress: a.onProgress } : {}),
  });
  return {
    report: summarize({ outcomes: r.outcomes, labels, skipped: bad.length, outOfRange: r.outOfRange }),
    badLines: bad,
    engine: { rulesVersion: engine.rulesVersion, modelVersion: engine.modelVersion, configVersion: engine.configVersion },
  };
}

export const backtest: Command = {
  name: "backtest",
  summary: "replays recorded events (event-time order, fresh card state) through a model + rule set; detection figures vs labels",
  usage: BACKTEST_USAGE,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        events: { type: "string" }, archive: { type: "string" }, "archive-prefix": { type: "string" }, labels: { type: "string" }, "labels-pg": { type: "string" }, rules: { type: "string" }, model: { type: "string" },
        config: { type: "string" }, from: { type: "string" }, to: { type: "string" }, json: { type: "boolean", default: false },
        "label-delay-days": { type: "string", default: "7" }, "prior-strength": { type: "string", default: "10" },
      },
    });
    let bar: ReturnType<typeof progress> | undefined;
    const run = await runBacktest({
      events: values.events, archive: values.archive, archivePrefix: values["archive-prefix"], labels: values.labels, labelsPg: values["labels-pg"], rules: values.rules, model: values.model, config: values.config, from: values.from, to: values.to,
      labelDelayDays: num(values["label-delay-days"], "--label-delay-days", 0, 180), priorStrength: num(values["prior-strength"], "--prior-strength", 0, 100_000),
      onProgress: (done, total) => {
        bar ??= progress("backtest", total, { toStderr: true });
        bar.update(done);
      },
    });
    bar?.stop();
    for (const b of run.badLines.slice(0, 20)) console.error(values.events ? `--events line ${b.line} skipped: ${b.message}` : `--archive ${b.message} skipped`);
    if (run.badLines.length > 20) console.error(`… ${run.badLines.length - 20} more bad lines skipped`);
    const e = run.engine;
    if (values.json) console.log(reportJson(run.report, { rules_version: e.rulesVersion, model_version: e.modelVersion, config_version: e.configVersion, bad_lines: run.badLines }));
    else console.log(formatReport(run.report, `backtest: rules ${e.rulesVersion}, model ${e.modelVersion}, config ${e.configVersion}`));
    return 0;
  },
};
