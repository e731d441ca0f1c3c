// `npm run train:model`: trains the default model and prints the model file to stdout (the npm
// script writes it to core/ml/default-model.json through a temporary file). Timing goes to
// stderr. Kept out of train-default.ts so importing that module has no side effects.
import { DEFAULT_TRAINING, formatModel, trainDefaultModel } from "./train-default.js";

const started = performance.now();
const model = trainDefaultModel(DEFAULT_TRAINING);
const text = formatModel(model);
console.log(text.endsWith("\n") ? text.slice(0, -1) : text);
const q = Object.fromEntries(model.score_reference.quantiles.map(([p, s]) => [p, s]));
console.error(
  `[train:model] ${model.model_version}: ${model.trained.rows} rows, ${model.trees.length} trees, ` +
    `${text.length} bytes, p50 ${q[0.5]} p99 ${q[0.99]} max ${q[1]}, ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
