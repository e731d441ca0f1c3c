import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { serializeGbdt } from "../../core/ml/gbdt/serialize.js";
import { runHandbookEval, type Figures, type HandbookEvalOptions } from "../handbook-eval.js";
import { UsageError, num } from "./common.js";

// `vigil eval --source handbook`: Vigil on the Fraud Detection Handbook's simulator and protocol
// (see cli/handbook-eval.ts). --params takes simulator parameters as JSON (a variant: other sizes,
// fraud amount threshold, compromise durations); they shape the data, never Vigil's settings.

export const HANDBOOK_USAGE = "eval --source handbook [--seed N] [--params JSON] [--start-training YYYY-MM-DD] [--label-delay-days 7] [--valid-days 2] [--gbdt JSON] [--no-baseline] [--save-model FILE]";

function parseJson(raw: string | undefined, flag: string): Record<string, unknown> {
  if (raw === undefined) return {};
  try {
    const v: unknown = JSON.parse(raw);
    if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error("not an object");
    return v as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`${flag} must be a JSON object (${e instanceof Error ? e.message : String(e)})`);
  }
}

const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : "  —  ");
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const row = (name: string, f: { auc: number; ap: number; cp100: number }, v?: Figures) =>
  `${name.padEnd(34)} ${f3(f.auc)}    ${f3(f.ap)}  ${f3(f.cp100)}` +
  (v ? `   ${pct(v.review.recall).padStart(6)} / ${(v.review.fpr * 100).toFixed(2)}%   ${pct(v.block.recall).padStart(6)} / ${(v.block.fpr * 100).toFixed(2)}%` : "");

export async function evalHandbook(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      source: { type: "string" },
      seed: { type: "string" },
      params: { type: "string" },
      "start-training": { type: "string" },
      "label-delay-days": { type: "string", default: "7" },
      "valid-days": { type: "string", default: "2" },
      gbdt: { type: "string" },
      "no-baseline": { type: "boolean", default: false },
      "save-model": { type: "string" },
    },
  });
  const params = parseJson(values.params, "--params");
  if (values.seed !== undefined) params.seed = num(values.seed, "--seed", 0, 2 ** 31);
  const opts: HandbookEvalOptions = {
    params,
    ...(values["start-training"] ? { protocol: { startTraining: values["start-training"] } } : {}),
    labelDelayDays: num(values["label-delay-days"], "--label-delay-days", 0, 60),
    validDays: num(values["valid-days"], "--valid-days", 1, 30),
    gbdt: parseJson(values.gbdt, "--gbdt") as HandbookEvalOptions["gbdt"],
    baseline: !values["no-baseline"],
    log: (l) => console.log(l),
  };
  await Promise.resolve();
  const r = runHandbookEval(opts);
  console.log(`\ntrain ${r.trainRows} tx (${r.trainFrauds} fraud) + validation ${r.validRows} (${r.validFrauds}); test ${r.testRows} tx (${r.testFrauds} fraud, ${r.removed} of known-compromised cards removed)`);
  console.log(`time: generate ${r.seconds.generate.toFixed(1)} s, replay ${r.seconds.replay.toFixed(1)} s, train ${r.seconds.train.toFixed(1)} s, baseline ${r.seconds.baseline.toFixed(1)} s\n`);
  console.log(`${"test week".padEnd(34)} AUC ROC  AP     CP@100   REVIEW recall/FPR  BLOCK recall/FPR`);
  console.log(row(`Vigil + learned ${r.model.model_version}`, r.learned, r.learned));
  console.log(row("Vigil without learned model", r.engine, r.engine));
  if (r.baseline) console.log(row("handbook LR baseline", r.baseline));
  console.log(`learned thresholds: review ${r.model.thresholds.review}, block ${r.model.thresholds.block} (fraud_score points, from the model's validation slice)`);
  if (values["save-model"]) {
    writeFileSync(values["save-model"], serializeGbdt(r.model));
    console.log(`model written to ${values["save-model"]}`);
  }
  return 0;
}
