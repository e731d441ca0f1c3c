import { MODEL_FEATURE_LAYOUT, MODEL_FEATURE_NAMES } from "../../core/features/model-features.js";
import type { GbdtModel } from "../../core/ml/gbdt/model.js";
import type { Archive, SqlQuery } from "../ports/index.js";
import type { TrainingConfig } from "./config.js";
import { joinPointInTime, splitByTime, type PointInTimeOptions } from "./dataset.js";
import { readFeatureStore } from "./feature-store.js";
import { LEARNING_LOOP_TRAINER } from "../../core/ml/gbdt/train/settings.js";
import { trainGbdt } from "../../core/ml/gbdt/train/train.js";
import { labelVersionsFor } from "./model-store.js";
import type { TrainingCounts } from "./registry.js";

// One training run: feature store → point-in-time labels → time split → GBDT. No clock and no
// unseeded randomness in here: the same store, labels, window, cut-off and seed give the same
// model file byte for byte (the determinism test holds it to that).

const DAY_MS = 86_400_000;

export interface TrainWindow {
  version: string;
  fromMs: number;
  toMs: number;
  /** What was known: labels recorded after it and events not matured by it are not used. */
  cutoffMs: number;
}

export interface TrainRunDeps {
  sql: SqlQuery;
  archive: Archive;
  config: TrainingConfig;
  rootPrefix?: string;
  /** The feature layout and names to train on (this build's by default). */
  layout?: { fingerprint: string; names: readonly string[] };
}

export interface TrainRunResult {
  model: GbdtModel;
  json: string;
  counts: TrainingCounts;
}

export function pointInTimeOptions(w: TrainWindow, cfg: TrainingConfig, layout = { fingerprint: MODEL_FEATURE_LAYOUT, names: MODEL_FEATURE_NAMES }): PointInTimeOptions {
  return { fromMs: w.fromMs, toMs: w.toMs, cutoffMs: w.cutoffMs, labelDelayMs: cfg.labelDelayDays * DAY_MS, layout: layout.fingerprint, featureNames: layout.names };
}

export async function runTraining(deps: TrainRunDeps, w: TrainWindow): Promise<TrainRunResult> {
  const opts = pointInTimeOptions(w, deps.config, deps.layout);
  const rows = await readFeatureStore(deps.archive, { fromMs: w.fromMs, toMs: w.toMs, ...(deps.rootPrefix ? { rootPrefix: deps.rootPrefix } : {}) });
  const ids = [...new Set(rows.map((r) => r.transaction_id))];
  const labels = await labelVersionsFor(deps.sql, ids);
  const joined = joinPointInTime(rows, labels, opts);
  const { train, valid, counts } = splitByTime(joined, opts, { validFraction: deps.config.validFraction, minPositives: deps.config.minPositives });
  const iso = (ms: number) => new Date(ms).toISOString();
  const { model, json } = trainGbdt(train, valid, {
    seed: deps.config.seed,
    modelVersion: w.version,
    featureLayout: opts.layout,
    window: { from: iso(w.fromMs), to: iso(w.toMs) },
    labelDelayDays: deps.config.labelDelayDays,
    ...LEARNING_LOOP_TRAINER,
    rounds: deps.config.maxRounds,
    notes: `point in time: cut-off ${iso(w.cutoffMs)}; events with event time + ${deps.config.labelDelayDays} d ≤ cut-off; labels as recorded at the cut-off; matured unlabelled = legitimate; validation = latest ${Math.round(deps.config.validFraction * 100)}% of event time`,
  });
  return { model, json, counts };
}
