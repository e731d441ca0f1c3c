import { GBDT_FORMAT, GBDT_FORMAT_VERSION, GbdtModelSchema, round9, type GbdtModel, type GbdtParams } from "../model.js";
import { serializeGbdt } from "../serialize.js";
import { createRng } from "../../../random.js";
import { binRows, computeCuts } from "./binning.js";
import { fitPlatt } from "./calibrate.js";
import { checkDataset, type GbdtDataset } from "./data.js";
import { aucRoc, logLoss } from "./metrics.js";
import { pickThresholds, DEFAULT_THRESHOLD_OPTIONS, type ThresholdOptions } from "./thresholds.js";
import { addTreeBinned, addTreeRaw, growTree, HistogramPool, type GrownTree } from "./tree.js";
import { validationMetrics } from "./validation.js";

// Gradient boosting of depth-limited trees on the logistic loss, second order (Newton leaves, as
// XGBoost and LightGBM): per round, g = w(p − y), h = w·p(1 − p) at the current margin, one tree
// fitted on histograms of quantile bins, margins moved by its learning-rate-shrunk leaves.
// Reproducible: all randomness comes from core/random.ts seeded by `seed`, and every stored
// number is rounded (round9) when it is made, so the same data and options give the same file.

export interface GbdtTrainOptions {
  seed: number;
  modelVersion: string;
  /** Fingerprint of the feature vector layout, checked by whoever loads the model. */
  featureLayout: string;
  /** Event-time range of the training rows (ISO strings, from the caller: no wall clock here). */
  window: { from: string; to: string };
  labelDelayDays: number;
  command?: string;
  notes?: string;
  /** Maximum boosting rounds (default 300). */
  rounds?: number;
  learningRate?: number;
  maxDepth?: number;
  /** L2 regularisation λ on leaf values (default 1). */
  lambda?: number;
  minChildHessian?: number;
  minSplitGain?: number;
  /** Share of rows per tree, drawn with the seeded generator (default 1: all rows). */
  subsample?: number;
  /** Share of features per tree (default 1). */
  colsample?: number;
  /** Weight of a positive row; default negatives / positives (both classes weigh the same). */
  scalePosWeight?: number;
  maxBins?: number;
  /** Stop after `patience` rounds without a better validation metric; null: grow all rounds. */
  earlyStopping?: { metric: "logloss" | "auc"; patience: number } | null;
  thresholds?: ThresholdOptions;
  onRound?: (r: RoundLog) => void;
}

export interface RoundLog {
  round: number;
  /** Class-weighted validation log-loss of the raw margin (the training objective). */
  validLogLoss: number;
  /** Only computed when early stopping watches AUC. */
  validAuc?: number;
}

export interface GbdtTrainResult {
  model: GbdtModel;
  /** The canonical model file text (serializeGbdt). */
  json: string;
  history: RoundLog[];
}

function resolveParams(o: GbdtTrainOptions, scalePosWeight: number, maxBins: number): Omit<GbdtParams, "best_round" | "rounds_grown"> {
  return {
    objective: "binary:logistic",
    learning_rate: o.learningRate ?? 0.1,
    max_depth: o.maxDepth ?? 6,
    max_rounds: o.rounds ?? 300,
    lambda_l2: o.lambda ?? 1,
    min_child_hessian: o.minChildHessian ?? 1,
    min_split_gain: o.minSplitGain ?? 0,
    subsample: o.subsample ?? 1,
    colsample: o.colsample ?? 1,
    scale_pos_weight: round9(scalePosWeight),
    max_bins: maxBins,
    early_stopping: o.earlyStopping === undefined ? { metric: "logloss", patience: 30 } : o.earlyStopping,
  };
}

export function trainGbdt(train: GbdtDataset, valid: GbdtDataset, o: GbdtTrainOptions): GbdtTrainResult {
  checkDataset("train", train);
  checkDataset("valid", valid);
  if (valid.cols !== train.cols || valid.featureNames.some((n, j) => n !== train.featureNames[j])) {
    throw new RangeError("valid: feature names differ from train");
  }
  const { rows, cols, y } = train;
  let positives = 0;
  for (let i = 0; i < rows; i++) positives += y[i]!;
  if (positives === 0 || positives === rows) throw new RangeError("train: needs both positive and negative rows");
  const spw = o.scalePosWeight ?? (rows - positives) / positives;
  const params = resolveParams(o, spw, o.maxBins ?? 255);
  const w1 = params.scale_pos_weight;

  const cuts = computeCuts(train.x, rows, cols, params.max_bins);
  const nBins = Int32Array.from(cuts, (c) => c.length + 1);
  const bins = binRows(train.x, rows, cols, cuts);

  const baseScore = round9(Math.log((w1 * positives) / (rows - positives)));
  const margin = new Float64Array(rows).fill(baseScore);
  const vMargin = new Float64Array(valid.rows).fill(baseScore);
  const grad = new Float64Array(rows);
  const hess = new Float64Array(rows);
  const idx = new Int32Array(rows);
  const scratch = new Int32Array(rows);
  const pool = new HistogramPool(cols);
  const rowRng = createRng(o.seed).fork("rows");
  const colRng = createRng(o.seed).fork("cols");
  const allFeatures = Int32Array.from({ length: cols }, (_, j) => j);
  const nColSample = Math.max(1, Math.round(params.colsample * cols));
  const ctx = {
    bins,
    cols,
    cuts,
    nBins,
    grad,
    hess,
    params: { lambda: params.lambda_l2, minChildHessian: params.min_child_hessian, minSplitGain: params.min_split_gain, maxDepth: params.max_depth, learningRate: params.learning_rate },
  };

  const es = params.early_stopping;
  const trees: GrownTree[] = [];
  const history: RoundLog[] = [];
  let best = Infinity;
  let bestRound = 0;
  for (let round = 1; round <= params.max_rounds; round++) {
    for (let i = 0; i < rows; i++) {
      const p = 1 / (1 + Math.exp(-margin[i]!));
      const w = y[i] === 1 ? w1 : 1;
      grad[i] = w * (p - y[i]!);
      hess[i] = Math.max(w * p * (1 - p), 1e-16);
    }
    let n = 0;
    if (params.subsample < 1) {
      for (let i = 0; i < rows; i++) if (rowRng.next() < params.subsample) idx[n++] = i;
      if (n === 0) idx[n++] = rowRng.int(rows);
    } else {
      for (let i = 0; i < rows; i++) idx[i] = i;
      n = rows;
    }
    let features = allFeatures;
    if (nColSample < cols) {
      const shuffled = colRng.shuffle(Array.from(allFeatures));
      features = Int32Array.from(shuffled.slice(0, nColSample)).sort();
    }
    const grown = growTree(ctx, idx, n, features, pool, scratch);
    trees.push(grown);
    addTreeBinned(grown, bins, rows, cols, margin);
    addTreeRaw(grown.tree, valid.x, valid.rows, cols, vMargin);

    const log: RoundLog = { round, validLogLoss: logLoss(vMargin, valid.y, w1) };
    if (es?.metric === "auc") log.validAuc = aucRoc(vMargin, valid.y);
    history.push(log);
    o.onRound?.(log);
    if (es === null) continue;
    // Lower is better for both: AUC enters negated.
    const value = es.metric === "auc" ? -log.validAuc! : log.validLogLoss;
    if (value < best) {
      best = value;
      bestRound = round;
    } else if (round - bestRound >= es.patience) break;
  }
  const kept = es === null ? trees.length : bestRound;
  const finalTrees = trees.slice(0, kept).map((g) => g.tree);

  // Validation margins of the kept trees only (the loop ran past the best round).
  const vFinal = new Float64Array(valid.rows).fill(baseScore);
  for (const t of finalTrees) addTreeRaw(t, valid.x, valid.rows, cols, vFinal);
  const calibration = fitPlatt(vFinal, valid.y);
  const { validation, thresholds } = validationMetrics(vFinal, valid, calibration, (scores) => pickThresholds(scores, valid.y, o.thresholds ?? DEFAULT_THRESHOLD_OPTIONS));

  let vPos = 0;
  for (let i = 0; i < valid.rows; i++) vPos += valid.y[i]!;
  const model: GbdtModel = {
    format: GBDT_FORMAT,
    format_version: GBDT_FORMAT_VERSION,
    model_version: o.modelVersion,
    feature_names: [...train.featureNames],
    feature_layout: o.featureLayout,
    base_score: baseScore,
    params: { ...params, best_round: kept, rounds_grown: trees.length },
    trained: {
      seed: o.seed,
      rows,
      positives,
      validation_rows: valid.rows,
      validation_positives: vPos,
      window: { from: o.window.from, to: o.window.to },
      label_delay_days: o.labelDelayDays,
      ...(o.command === undefined ? {} : { command: o.command }),
      notes: o.notes ?? "",
    },
    validation,
    calibration,
    thresholds,
    trees: finalTrees,
  };
  // The trainer's output must be a file the edge accepts.
  GbdtModelSchema.parse(model);
  return { model, json: serializeGbdt(model), history };
}
