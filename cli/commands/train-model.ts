import { renameSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { DEFAULT_TRAINING, formatModel, trainDefaultModel } from "../../core/ml/train-default.js";
import type { Command } from "./common.js";

// `vigil train-model` (`npm run train:model`): trains the default model (core/ml/train-default.ts,
// seeded, so the same config gives the same bytes) and writes core/ml/default-model.json through
// a temporary file, so an interrupted run never leaves half a model behind. Timing goes to stderr.

export const DEFAULT_MODEL_FILE = fileURLToPath(new URL("../../core/ml/default-model.json", import.meta.url));

export const trainModel: Command = {
  name: "train-model",
  summary: "train the default model (reproducible byte for byte) into core/ml/default-model.json",
  usage: "train-model [--out FILE (default core/ml/default-model.json; - for stdout)]",
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: { out: { type: "string", default: DEFAULT_MODEL_FILE } } });
    const started = performance.now();
    const model = trainDefaultModel(DEFAULT_TRAINING);
    const formatted = formatModel(model);
    const text = formatted.endsWith("\n") ? formatted : `${formatted}\n`;
    if (values.out === "-") process.stdout.write(text);
    else {
      writeFileSync(`${values.out}.tmp`, text);
      renameSync(`${values.out}.tmp`, values.out);
    }
    const q = Object.fromEntries(model.score_reference.quantiles.map(([p, s]) => [p, s]));
    console.error(
      `[train:model] ${model.model_version}: ${model.trained.rows} rows, ${model.trees.length} trees, ` +
        `${text.length} bytes, p50 ${q[0.5]} p99 ${q[0.99]} max ${q[1]}, ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    return 0;
  },
};
