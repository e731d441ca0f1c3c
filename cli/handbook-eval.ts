import { trainGbdt, type GbdtTrainOptions } from "../core/ml/gbdt/train/train.js";
import type { GbdtDataset } from "../core/ml/gbdt/train/data.js";
import { LEARNING_LOOP_TRAINER } from "../core/ml/gbdt/train/settings.js";
import { createEngine, type Engine } from "../core/engine.js";
import { defaultConfig, defaultModel, defaultRuleSet } from "../core/engine-default.js";
import { handbookSource, runHandbookBaseline } from "../core/eval/handbook-baseline.js";
import { averagePrecision, cardPrecisionTopK, rocAuc, type DailyScored } from "../core/eval/metrics.js";
import { DAY_MS, dayOf, parseProtocolOptions, protocolEndMs, trainTestSplit, type ProtocolOptionsInput } from "../core/eval/protocol.js";
import { EntityRiskAccumulator } from "../core/features/entity-risk.js";
import { MODEL_FEATURE_LAYOUT, MODEL_FEATURE_NAMES, N_MODEL_FEATURES } from "../core/features/model-features.js";
import { compileGbdt } from "../core/ml/gbdt/compiled.js";
import type { GbdtModel } from "../core/ml/gbdt/model.js";
import type { Decision, ReferenceSignals } from "../core/schemas.js";
import { generateHandbookDataset, handbookEventMapper, parseHandbookParams, startMs, summarize, type HandbookParamsInput } from "../core/sim/handbook/index.js";
import { CardWindow } from "../core/window/card-window.js";

// Vigil judged on data nobody here wrote: the Fraud Detection Handbook's simulator and its
// train / delay / test protocol. The generated events are replayed once, in event-time order,
// through Vigil's core with fresh card state. Terminal and merchant label statistics come from an
// EntityRiskAccumulator that only counts transactions older than the label delay, i.e. what the
// edge would have read from the reference data. Model features of the training week are collected
// as the replay passes; when it reaches the test week every training label has matured (delay week),
// so the GBDT is trained there and then, point in time, and the test week is scored by the engine
// with it as champion beside the same engine without it. Nothing of the scenarios' constants
// (amount thresholds, durations, multipliers) is known to Vigil: they are the simulator's params.

export interface HandbookEvalOptions {
  /** Simulator parameters (seed, sizes, scenario constants): the dataset, never Vigil's settings. */
  params?: HandbookParamsInput;
  protocol?: ProtocolOptionsInput;
  /** Label delay D of the terminal/merchant statistics (default 7 days, the protocol's delay). */
  labelDelayDays?: number;
  /** Pseudo-transactions of the smoothing prior (default 10). */
  priorStrength?: number;
  /** The latest days of the training period held out for early stopping and calibration (default 2). */
  validDays?: number;
  /** Trainer settings beyond the defaults below. */
  gbdt?: Partial<Pick<GbdtTrainOptions, "rounds" | "learningRate" | "maxDepth" | "lambda" | "minChildHessian" | "subsample" | "colsample" | "earlyStopping">>;
  /** Also run the handbook's logistic-regression baseline (default true). */
  baseline?: boolean;
  log?: (line: string) => void;
}

export interface Figures {
  auc: number;
  ap: number;
  cp100: number;
  /** Share of frauds / legitimate transactions flagged REVIEW or BLOCKED, and BLOCKED alone. */
  review: { recall: number; fpr: number };
  block: { recall: number; fpr: number };
}

export interface HandbookEvalResult {
  summary: ReturnType<typeof summarize>;
  trainRows: number;
  trainFrauds: number;
  validRows: number;
  validFrauds: number;
  testRows: number;
  testFrauds: number;
  removed: number;
  model: GbdtModel;
  learned: Figures;
  engine: Figures;
  baseline?: { auc: number; ap: number; cp100: number };
  /**
   * What the protocol leaves to find. A scenario-2 fraud (a compromised terminal) whose terminal
   * had no matured fraud in its 30-day window when scored carries no signal at all (its amount and
   * card are ordinary; the labels that would betray the terminal are younger than the delay):
   * `undetectable` counts those test frauds, and `ceiling` is the learned model's figures with every
   * other fraud moved to the top of its ranking (legitimate and undetectable ones keep their
   * scores). The simulator's scenario labels are used here only, for reporting, never by Vigil.
   */
  ceiling: { undetectable: number; auc: number; ap: number; cp100: number };
  seconds: { generate: number; replay: number; train: number; baseline: number };
}

const NO_STATS: ReferenceSignals = Object.freeze({ status: "OK" }) as ReferenceSignals;

/** The handbook figures of a scored test set and its verdicts (in-process and through-API evals). */
export function figures(scored: DailyScored[], verdicts: readonly Decision["verdict"][]): Figures {
  let fraud = 0, legit = 0, rf = 0, rl = 0, bf = 0, bl = 0;
  scored.forEach((s, k) => {
    const v = verdicts[k];
    const flagged = v !== "APPROVED";
    const blocked = v === "BLOCKED";
    if (s.isFraud) { fraud++; if (flagged) rf++; if (blocked) bf++; }
    else { legit++; if (flagged) rl++; if (blocked) bl++; }
  });
  return {
    auc: rocAuc(scored),
    ap: averagePrecision(scored),
    cp100: cardPrecisionTopK(scored, 100).mean,
    review: { recall: rf / fraud, fpr: rl / legit },
    block: { recall: bf / fraud, fpr: bl / legit },
  };
}

/**
 * Ranking score of a decision: fraud_score has one decimal, so ties are broken by the unrounded
 * model output (< 0.01 added, below the 0.1 step: the order between distinct scores is kept).
 */
const rankOf = (fraudScore: number, modelOutput: number) => fraudScore + 0.01 * modelOutput;

export function runHandbookEval(o: HandbookEvalOptions = {}): HandbookEvalResult {
  const log = o.log ?? (() => undefined);
  const params = parseHandbookParams(o.params ?? {});
  const protocol = parseProtocolOptions(o.protocol ?? {});
  const delayMs = (o.labelDelayDays ?? 7) * DAY_MS;
  const validDays = o.validDays ?? 2;
  if (!(validDays >= 1 && validDays < protocol.deltaTrain)) throw new RangeError(`validDays must be in [1, deltaTrain − 1], got ${validDays}`);

  let t = performance.now();
  const needed = dayOf(protocolEndMs(protocol)) - dayOf(startMs(params));
  const ds = generateHandbookDataset(params, { days: Math.min(needed, params.nbDays) });
  const summary = summarize(ds);
  const generate = (performance.now() - t) / 1000;
  log(`dataset: seed ${params.seed}, ${summary.transactions} transactions, ${summary.frauds} frauds (${(summary.fraudRate * 100).toFixed(3)}%), ${generate.toFixed(1)} s`);

  const split = trainTestSplit(handbookSource(ds), protocol);
  if (split.train.length === 0 || split.test.length === 0) throw new RangeError("protocol windows fall outside the generated days");
  const tx = ds.tx;
  const n = tx.length;
  const role = new Uint8Array(n); // 1 train, 2 valid, 3 test
  const validFrom = split.trainFrom + protocol.deltaTrain - validDays;
  for (const i of split.train) role[i] = dayOf(ds.startMs + tx.timeSeconds[i]! * 1000) >= validFrom ? 2 : 1;
  const testPos = new Int32Array(n).fill(-1);
  split.test.forEach((i, k) => { role[i] = 3; testPos[i] = k; });

  // The smoothing prior: the matured fraud rate before the training period, which the label job
  // would know when the first training-week event is scored.
  const trainStartMs = split.trainFrom * DAY_MS;
  let priorTx = 0, priorFraud = 0;
  for (let i = 0; i < n && ds.startMs + tx.timeSeconds[i]! * 1000 < trainStartMs - delayMs; i++) { priorTx++; priorFraud += tx.fraud[i]!; }
  const prior = { labelDelayMs: delayMs, priorRate: priorTx > 0 ? priorFraud / priorTx : 0, priorStrength: o.priorStrength ?? 10 };
  const terminals = new EntityRiskAccumulator(prior);
  const merchants = new EntityRiskAccumulator(prior);

  const base = { config: defaultConfig(), ruleSet: defaultRuleSet(), model: defaultModel() };
  const engine = createEngine(base);
  let learnedEngine: Engine | undefined;
  let model: GbdtModel | undefined;
  const nTrain = split.train.length;
  const x = new Float64Array(nTrain * N_MODEL_FEATURES);
  const y = new Uint8Array(nTrain);
  const isValid = new Uint8Array(nTrain);
  let kTrain = 0;
  const testCount = split.test.length;
  const learnedRank = new Float64Array(testCount), baseRank = new Float64Array(testCount);
  const learnedVerdict: Decision["verdict"][] = new Array<Decision["verdict"]>(testCount);
  const baseVerdict: Decision["verdict"][] = new Array<Decision["verdict"]>(testCount);
  const undetectable = new Uint8Array(testCount);
  let trainSeconds = 0;

  const mapper = handbookEventMapper(ds);
  const cards = new Map<string, CardWindow>();
  const testFromMs = split.testFrom * DAY_MS;
  t = performance.now();
  for (let i = 0; i < n; i++) {
    const { event, label } = mapper.at(i);
    const T = label.event_ms;
    if (T >= testFromMs && !learnedEngine) {
      const t0 = performance.now();
      model = train(x, y, isValid, kTrain, params.seed, ds.startMs, split.trainFrom, protocol.deltaTrain, delayMs, o.gbdt ?? {}, log);
      learnedEngine = createEngine({ ...base, learned: compileGbdt(model) });
      trainSeconds = (performance.now() - t0) / 1000;
    }
    let state = cards.get(event.card_number_hash);
    if (!state) cards.set(event.card_number_hash, (state = CardWindow.empty()));
    const r = role[i]!;
    const terminal = event.terminal_id ?? "";
    const refs: ReferenceSignals = r === 0 ? NO_STATS : { status: "OK", terminal_stats: terminals.query(terminal, T), merchant_stats: merchants.query(event.merchant_id, T) };
    if (r === 3 && learnedEngine) {
      const k = testPos[i]!;
      const d = learnedEngine.score(event, state, refs).decision;
      learnedRank[k] = rankOf(d.fraud_score, d.ml_score);
      if (label.scenario === 2 && !((refs.terminal_stats?.fraud_30d ?? 0) > 0)) undetectable[k] = 1;
      learnedVerdict[k] = d.verdict;
    }
    const res = engine.process(event, state, refs);
    if (r === 1 || r === 2) {
      if (res.modelFeatures) x.set(res.modelFeatures, kTrain * N_MODEL_FEATURES);
      y[kTrain] = label.is_fraud ? 1 : 0;
      isValid[kTrain++] = r === 2 ? 1 : 0;
    } else if (r === 3) {
      const k = testPos[i]!;
      baseRank[k] = rankOf(res.decision.fraud_score, res.decision.ml_score);
      baseVerdict[k] = res.decision.verdict;
    }
    terminals.add(terminal, T, label.is_fraud);
    merchants.add(event.merchant_id, T, label.is_fraud);
    if (i > 0 && i % 200_000 === 0) log(`replayed ${i} / ${n}`);
  }
  const replay = (performance.now() - t) / 1000 - trainSeconds;
  if (!model) throw new RangeError("the replay never reached the test week");

  const scoredWith = (rank: Float64Array): DailyScored[] =>
    Array.from(split.test, (i, k) => ({ score: rank[k]!, isFraud: tx.fraud[i] === 1, card: tx.customerId[i]!, day: split.testDay[k]! }));
  const learned = figures(scoredWith(learnedRank), learnedVerdict);
  const engineFigures = figures(scoredWith(baseRank), baseVerdict);
  const top = scoredWith(learnedRank).map((s, k) => (s.isFraud && !undetectable[k] ? { ...s, score: Number.MAX_VALUE } : s));
  const ceiling = { undetectable: undetectable.reduce((a, b) => a + b, 0), auc: rocAuc(top), ap: averagePrecision(top), cp100: cardPrecisionTopK(top, 100).mean };

  let baseline: HandbookEvalResult["baseline"];
  t = performance.now();
  if (o.baseline ?? true) {
    const b = runHandbookBaseline(ds, protocol);
    baseline = { auc: b.auc, ap: b.averagePrecision, cp100: b.cardPrecision100 };
  }
  const baselineSeconds = (performance.now() - t) / 1000;

  let trainFrauds = 0, validRows = 0, validFrauds = 0;
  for (let k = 0; k < kTrain; k++) {
    if (isValid[k]) { validRows++; validFrauds += y[k]!; } else trainFrauds += y[k]!;
  }
  let testFrauds = 0;
  for (const i of split.test) testFrauds += tx.fraud[i]!;
  return {
    summary, trainRows: kTrain - validRows, trainFrauds, validRows, validFrauds, testRows: testCount, testFrauds, removed: split.removed,
    model, learned, engine: engineFigures, ceiling, ...(baseline ? { baseline } : {}),
    seconds: { generate, replay, train: trainSeconds, baseline: baselineSeconds },
  };
}

function train(
  x: Float64Array, y: Uint8Array, isValid: Uint8Array, rows: number, seed: number, dsStartMs: number, trainFrom: number, deltaTrain: number,
  delayMs: number, over: NonNullable<HandbookEvalOptions["gbdt"]>, log: (l: string) => void,
): GbdtModel {
  const nf = N_MODEL_FEATURES;
  let nValid = 0;
  for (let k = 0; k < rows; k++) nValid += isValid[k]!;
  const tr = { x: new Float64Array((rows - nValid) * nf), y: new Uint8Array(rows - nValid) };
  const va = { x: new Float64Array(nValid * nf), y: new Uint8Array(nValid) };
  let a = 0, b = 0;
  for (let k = 0; k < rows; k++) {
    const row = x.subarray(k * nf, (k + 1) * nf);
    if (isValid[k]) { va.x.set(row, b * nf); va.y[b++] = y[k]!; }
    else { tr.x.set(row, a * nf); tr.y[a++] = y[k]!; }
  }
  const ds = (d: { x: Float64Array; y: Uint8Array }): GbdtDataset => ({ x: d.x, y: d.y, rows: d.y.length, cols: nf, featureNames: MODEL_FEATURE_NAMES });
  const day = (d: number) => new Date(d * DAY_MS).toISOString().slice(0, 10);
  const r = trainGbdt(ds(tr), ds(va), {
    seed,
    modelVersion: `gbdt-handbook-s${seed}`,
    featureLayout: MODEL_FEATURE_LAYOUT,
    window: { from: day(trainFrom), to: day(trainFrom + deltaTrain - 1) },
    labelDelayDays: delayMs / DAY_MS,
    command: "vigil eval --source handbook",
    notes: `handbook simulator, dataset start ${new Date(dsStartMs).toISOString().slice(0, 10)}`,
    // The learning loop's settings (the registry service trains with the same ones).
    ...LEARNING_LOOP_TRAINER,
    ...over,
  });
  const p = r.model.params;
  log(`gbdt: ${a} train / ${b} validation rows, ${p.best_round} of ${p.rounds_grown} rounds kept; validation AUC ${r.model.validation.auc_roc.toFixed(3)}, AP ${r.model.validation.average_precision.toFixed(3)}; thresholds review ${r.model.thresholds.review} (${r.model.thresholds.review_source}), block ${r.model.thresholds.block} (${r.model.thresholds.block_source})`);
  return r.model;
}
