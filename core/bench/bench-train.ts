// npm run bench:train — GBDT training time and inference latency on one core.
//
// Data: plantedDataset (core/testing/gbdt-planted.ts), 40 standard-normal features, label from x2·x5 + 0.5·x7 +
// noise above a cut giving ~1 % positives, 2 % of values NaN. Training set and validation set
// (the "latest time slice") are separately seeded. Training: up to 300 rounds, depth 6, learning
// rate 0.1, early stopping on validation log-loss (patience 30). Wall time includes binning,
// calibration, thresholds and serialisation.
//
// Inference: a model forced to exactly 300 trees (no early stopping, trained on a subset so the
// benchmark stays short; tree shape, not row count, sets the cost), compiled, then
// predictMargin over the validation rows in batches of --batch events; per-event µs per batch,
// p50/p99 over batches. TreeSHAP (contributions) is timed the same way on fewer rows.
// CPU time (process.cpuUsage) is printed beside wall time: on a shared machine it is the figure
// that says what one core does.
// Options: --rows N --valid N --cols N --seed N --batch N --batches N --force-rows N
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { compileGbdt } from "../ml/gbdt/compiled.js";
import { plantedDataset } from "../testing/gbdt-planted.js";
import { trainGbdt, type GbdtTrainOptions } from "../ml/gbdt/train/train.js";
import type { GbdtDataset } from "../ml/gbdt/train/data.js";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "200000" },
    valid: { type: "string", default: "50000" },
    cols: { type: "string", default: "40" },
    seed: { type: "string", default: "42" },
    batch: { type: "string", default: "1000" },
    batches: { type: "string", default: "300" },
    "force-rows": { type: "string", default: "50000" },
  },
});
const ROWS = Number(values.rows);
const VALID = Number(values.valid);
const COLS = Number(values.cols);
const SEED = Number(values.seed);
const BATCH = Number(values.batch);
const BATCHES = Number(values.batches);
const FORCE_ROWS = Number(values["force-rows"]);

const planted = (rows: number, seed: number) => plantedDataset({ rows, cols: COLS, seed, cut: 3.4, noise: 0.3, nanRate: 0.02 });
const positives = (d: GbdtDataset) => d.y.reduce((a, b) => a + b, 0);
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const fmt = (x: number, d = 2) => x.toFixed(d);

const train = planted(ROWS, SEED);
const valid = planted(VALID, SEED + 1);
console.log(`data: train ${ROWS} × ${COLS} (${positives(train)} positives, ${fmt((100 * positives(train)) / ROWS)} %), valid ${VALID} (${positives(valid)} positives)`);
console.log(`load average at start: ${loadavg().map((l) => fmt(l)).join(" ")} on this machine`);

const opts: GbdtTrainOptions = {
  seed: SEED,
  modelVersion: "bench",
  featureLayout: `bench:${COLS}`,
  window: { from: "2026-01-01T00:00:00Z", to: "2026-03-01T00:00:00Z" },
  labelDelayDays: 30,
  command: "npm run bench:train",
  rounds: 300,
  maxDepth: 6,
  learningRate: 0.1,
  earlyStopping: { metric: "logloss", patience: 30 },
};
const t0 = performance.now();
const c0 = process.cpuUsage();
const r = trainGbdt(train, valid, opts);
const wall = (performance.now() - t0) / 1000;
const cu = process.cpuUsage(c0);
const cpu = (cu.user + cu.system) / 1e6;
const v = r.model.validation;
console.log(
  `train: ${fmt(wall)} s wall, ${fmt(cpu)} s CPU (the wall time is inflated when other processes share the cores), ${r.model.params.rounds_grown} rounds grown, best ${r.model.params.best_round} (${fmt((1000 * cpu) / r.model.params.rounds_grown, 0)} ms CPU/round incl. setup)`,
);
console.log(`validation: AUC ${fmt(v.auc_roc, 4)}  AP ${fmt(v.average_precision, 4)}  log-loss ${fmt(v.logloss, 4)}`);
console.log(
  `thresholds: review ${fmt(r.model.thresholds.review)} (${r.model.thresholds.review_source}; recall ${fmt(v.review.recall, 3)}, fpr ${fmt(v.review.fpr, 4)}), block ${fmt(r.model.thresholds.block)} (${r.model.thresholds.block_source}; recall ${fmt(v.block.recall, 3)}, fpr ${fmt(v.block.fpr, 4)})`,
);
console.log(`model file: ${(r.json.length / 1024).toFixed(0)} kB`);

const forced = trainGbdt(planted(FORCE_ROWS, SEED + 2), valid, { ...opts, earlyStopping: null, modelVersion: "bench-300" });
const g = compileGbdt(forced.model);
const nodes = forced.model.trees.reduce((a, t) => a + t.f.length, 0);
console.log(`inference model: ${g.treeCount} trees, depth ≤ 6, ${nodes} nodes`);
const rowsX = Array.from({ length: VALID }, (_, i) => Float64Array.from(valid.x.subarray(i * COLS, (i + 1) * COLS)));

function timeBatches(fn: (x: Float64Array) => number, batch: number, batches: number): number[] {
  const per: number[] = [];
  let sink = 0;
  let k = 0;
  for (let b = 0; b < batches; b++) {
    const s = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) sink += fn(rowsX[k++ % rowsX.length]!);
    per.push(Number(process.hrtime.bigint() - s) / 1000 / batch);
  }
  if (Number.isNaN(sink)) console.log("(sink NaN)");
  return per;
}
timeBatches((x) => g.predictMargin(x), BATCH, Math.max(20, BATCHES / 5)); // warm-up
const pm = timeBatches((x) => g.predictMargin(x), BATCH, BATCHES);
console.log(`predictMargin: p50 ${fmt(quantile(pm, 0.5))} µs/event, p99 ${fmt(quantile(pm, 0.99))} µs/event (${BATCHES} batches of ${BATCH})`);
const sc = timeBatches((x) => g.score(x), BATCH, BATCHES);
console.log(`score (calibrated): p50 ${fmt(quantile(sc, 0.5))} µs/event, p99 ${fmt(quantile(sc, 0.99))} µs/event`);
const out = new Float64Array(COLS + 1);
const shap = timeBatches((x) => g.contributions(x, out)[0]!, 20, 25);
console.log(`contributions (TreeSHAP): p50 ${fmt(quantile(shap, 0.5), 0)} µs/event, p99 ${fmt(quantile(shap, 0.99), 0)} µs/event`);
// Yardstick for the figures above: 1800 dependent typed-array loads (a 300-tree depth-6 walk
// makes 1800 dependent steps), so a reader can tell a slow or shared machine from slow code.
const chain = Int32Array.from({ length: 1800 }, (_, i) => (i * 7919 + 1) % 1800);
const chase = () => {
  let j = 0;
  for (let i = 0; i < 1800; i++) j = chain[j]!;
  return j;
};
const yard = timeBatches(() => chase(), BATCH, Math.max(20, BATCHES / 5));
console.log(`yardstick (1800 dependent loads): p50 ${fmt(quantile(yard, 0.5))} µs`);
console.log(`load average at end: ${loadavg().map((l) => fmt(l)).join(" ")}`);
