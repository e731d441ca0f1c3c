import { randomBytes } from "node:crypto";
import type { ReferenceSnapshot } from "../../core/contracts/reference.js";
import type { Archive, OpsSql } from "../ports/index.js";
import { compareModels, type Comparison } from "./compare.js";
import type { TrainingConfig } from "./config.js";
import { TrainingDataError } from "./dataset.js";
import { readFeatureStore } from "./feature-store.js";
import { ModelNotFoundError, ModelTransitionError } from "./lifecycle.js";
import { createModelFiles, labelVersionsFor, type ModelFiles } from "./model-store.js";
import { publishActive } from "../reference/publish.js";
import type { ReferenceTarget } from "../reference/target.js";
import { activeModelFiles, snapshotModels } from "./publish.js";
import * as registry from "./registry.js";
import { runTraining, type TrainRunDeps, type TrainRunResult, type TrainWindow } from "./train-run.js";

// The learning loop's central service: starts trainings (in the background, one at a time, in
// this process: a GBDT on a month of events takes seconds to minutes and blocks the event loop
// meanwhile, which the ops API tolerates; a separate worker process is the next step if it does
// not), moves models through the registry, publishes champion and shadow to the edge, compares
// models, and retrains on a schedule.

const DAY_MS = 86_400_000;

export type Log = (level: "info" | "warn" | "error", code: string, fields?: Record<string, unknown>) => void;

export interface ModelServiceDeps {
  sql: OpsSql;
  archive: Archive;
  config: TrainingConfig;
  /** Redis (stack); absent: the snapshot endpoint serves the edge (embedded). */
  target?: ReferenceTarget;
  now: () => number;
  log: Log;
  rootPrefix?: string;
  /** Replaceable for tests; runTraining by default. */
  train?: (deps: TrainRunDeps, w: TrainWindow) => Promise<TrainRunResult>;
}

export interface TrainRequest {
  train_from?: string;
  train_to?: string;
}

export class BadRequestError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = "BadRequestError";
  }
}

export interface Moved {
  model: registry.ModelRow;
  previous: string | null;
  /** false when the registry already said so (the call only re-published). */
  changed: boolean;
  published: string[];
}

export interface ModelService {
  startTraining(req: TrainRequest, actor: string): Promise<registry.ModelRow>;
  get(version: string): Promise<{ model: registry.ModelRow; events: registry.ModelEvent[] } | undefined>;
  list(): Promise<registry.ModelRow[]>;
  shadow(version: string, actor: string): Promise<Moved>;
  promote(version: string, actor: string): Promise<Moved>;
  compare(q: { a: string; b: string; from: string; to: string }): Promise<Comparison & { from: string; to: string; cutoff: string; label_delay_days: number }>;
  /** Versions and files of champion and shadow for the snapshot endpoint. */
  snapshotModels(): Promise<Partial<ReferenceSnapshot>>;
  /** Resolves when no training is running or queued (tests, shutdown). */
  idle(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function newModelVersion(nowMs: number): string {
  const stamp = iso(nowMs).replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  return `gbdt-${stamp}-${randomBytes(3).toString("hex")}`;
}

export function createModelService(deps: ModelServiceDeps): ModelService {
  const files: ModelFiles = createModelFiles(deps.archive, deps.rootPrefix ?? "");
  const train = deps.train ?? runTraining;
  const delayMs = deps.config.labelDelayDays * DAY_MS;
  let queue: Promise<void> = Promise.resolve();
  let timer: ReturnType<typeof setInterval> | undefined;

  /** Window and cut-off of a request: default the last windowDays up to now − delay; never knowledge from the future. */
  const windowOf = (req: TrainRequest): { fromMs: number; toMs: number; cutoffMs: number } => {
    const now = deps.now();
    const toMs = req.train_to !== undefined ? Date.parse(req.train_to) : now - delayMs;
    const fromMs = req.train_from !== undefined ? Date.parse(req.train_from) : toMs - deps.config.windowDays * DAY_MS;
    if (toMs > now) throw new BadRequestError("train_to", "must not be in the future");
    if (fromMs >= toMs) throw new BadRequestError("train_from", "must be before train_to");
    // The cut-off is what was known when the window's last labels matured, capped at now.
    return { fromMs, toMs, cutoffMs: Math.min(now, toMs + delayMs) };
  };

  const publish = async (): Promise<string[]> => {
    const active = await activeModelFiles(deps.sql, files);
    return publishActive(deps.sql, deps.target, new Date(deps.now()).toISOString(), { models: active });
  };

  const runOne = async (row: registry.ModelRow, auto: boolean): Promise<void> => {
    const w: TrainWindow = { version: row.version, fromMs: Date.parse(row.train_from), toMs: Date.parse(row.train_to), cutoffMs: Date.parse(row.cutoff) };
    try {
      const r = await train({ sql: deps.sql, archive: deps.archive, config: deps.config, ...(deps.rootPrefix ? { rootPrefix: deps.rootPrefix } : {}) }, w);
      const stored = await files.put(row.version, r.json);
      await registry.markTrained(deps.sql, row.version, { artifactKey: stored.key, sha256: stored.sha256, featureLayout: r.model.feature_layout, counts: r.counts, validation: r.model.validation, thresholds: r.model.thresholds }, "system", iso(deps.now()));
      deps.log("info", "MODEL_TRAINED", { version: row.version, ...r.counts, auc_roc: r.model.validation.auc_roc, average_precision: r.model.validation.average_precision });
      if (auto) await autoPromote(row.version, r.model.validation.auc_roc);
    } catch (e) {
      const counts = e instanceof TrainingDataError ? e.counts : undefined;
      const message = e instanceof Error ? e.message : String(e);
      deps.log("error", "MODEL_TRAINING_FAILED", { version: row.version, error: message.slice(0, 300) });
      await registry.markFailed(deps.sql, row.version, message, "system", iso(deps.now()), counts);
    }
  };

  const autoPromote = async (version: string, auc: number): Promise<void> => {
    const mode = deps.config.autoPromote;
    if (mode === "off") return;
    const champion = (await registry.activeModels(deps.sql)).champion;
    const bar = (champion?.validation?.auc_roc ?? 0) + deps.config.autoPromoteMinAucGain;
    if (champion && auc < bar) {
      deps.log("info", "MODEL_AUTO_PROMOTE_SKIPPED", { version, auc_roc: auc, needed: bar, champion: champion.version });
      return;
    }
    if (mode === "shadow") await registry.shadow(deps.sql, version, "scheduler", iso(deps.now()), `auto: validation AUC ${auc}`);
    else await registry.promote(deps.sql, version, "scheduler", iso(deps.now()), `auto: validation AUC ${auc} ≥ ${bar}`);
    await publish();
  };

  const startTraining = async (req: TrainRequest, actor: string, auto = false): Promise<registry.ModelRow> => {
    const w = windowOf(req);
    const row = await registry.createTraining(deps.sql, {
      version: newModelVersion(deps.now()),
      trainFrom: iso(w.fromMs),
      trainTo: iso(w.toMs),
      cutoff: iso(w.cutoffMs),
      labelDelayDays: deps.config.labelDelayDays,
      actor,
      at: iso(deps.now()),
    });
    // Queued, not awaited: the API answers 202 at once; runOne never rejects (failures become status failed).
    queue = queue.then(() => runOne(row, auto)).catch((e: unknown) => deps.log("error", "MODEL_TRAINING_FAILED", { version: row.version, error: String(e) }));
    return row;
  };

  const move = async (version: string, actor: string, slot: "champion" | "shadow"): Promise<Moved> => {
    const current = await registry.getModel(deps.sql, version);
    if (!current) throw new ModelNotFoundError(version);
    // Moving a model where it already is only publishes again: how a failed publication is retried.
    let moved: registry.Promotion = { model: current, previous: null };
    const changed = current.status !== slot;
    if (changed) moved = slot === "champion" ? await registry.promote(deps.sql, version, actor, iso(deps.now())) : await registry.shadow(deps.sql, version, actor, iso(deps.now()));
    const published = await publish();
    deps.log("info", slot === "champion" ? "MODEL_PROMOTED" : "MODEL_SHADOWED", { version, actor, previous: moved.previous, changed, targets: published });
    return { ...moved, changed, published };
  };

  const compare: ModelService["compare"] = async (q) => {
    const [a, b] = await Promise.all([files.model(q.a), files.model(q.b)]);
    if (!a) throw new ModelNotFoundError(q.a);
    if (!b) throw new ModelNotFoundError(q.b);
    const fromMs = Date.parse(q.from);
    const toMs = Date.parse(q.to);
    if (fromMs >= toMs) throw new BadRequestError("from", "must be before to");
    const cutoffMs = deps.now();
    const rows = await readFeatureStore(deps.archive, { fromMs, toMs, ...(deps.rootPrefix ? { rootPrefix: deps.rootPrefix } : {}) });
    const labels = await labelVersionsFor(deps.sql, [...new Set(rows.map((r) => r.transaction_id))]);
    const c = compareModels(a, b, rows, labels, { fromMs, toMs, cutoffMs, labelDelayMs: delayMs });
    return { from: iso(fromMs), to: iso(toMs), cutoff: iso(cutoffMs), label_delay_days: deps.config.labelDelayDays, ...c };
  };

  return {
    startTraining: (req, actor) => startTraining(req, actor),
    async get(version) {
      const model = await registry.getModel(deps.sql, version);
      return model ? { model, events: await registry.modelEvents(deps.sql, version) } : undefined;
    },
    list: () => registry.listModels(deps.sql),
    shadow: (v, actor) => move(v, actor, "shadow"),
    promote: (v, actor) => move(v, actor, "champion"),
    compare,
    snapshotModels: () => snapshotModels(deps.sql, files),
    idle: async () => {
      let seen: Promise<void> | undefined;
      while (seen !== queue) {
        seen = queue;
        await seen;
      }
    },
    start() {
      if (timer || deps.config.retrainIntervalMs <= 0) return;
      timer = setInterval(() => {
        startTraining({}, "scheduler", true).catch((e: unknown) => deps.log("error", "MODEL_SCHEDULED_TRAINING_FAILED", { error: e instanceof Error ? e.message : String(e) }));
      }, deps.config.retrainIntervalMs);
      timer.unref?.();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await queue;
    },
  };
}

export { ModelNotFoundError, ModelTransitionError };
