import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { serializeGbdt } from "../../core/ml/gbdt/serialize.js";
import { startEmbeddedSystem, type EmbeddedSystem } from "../embedded-system.js";
import { runHandbookApiEval, type ApiTarget } from "../handbook-api-eval.js";
import { runHandbookEval, type Figures, type HandbookEvalOptions } from "../handbook-eval.js";
import { UsageError, num } from "./common.js";

// `vigil eval --source handbook`: Vigil on the Fraud Detection Handbook's simulator and protocol
// (see cli/handbook-eval.ts). --params takes simulator parameters as JSON (a variant: other sizes,
// fraud amount threshold, compromise durations); they shape the data, never Vigil's settings.

export const HANDBOOK_USAGE = "eval --source handbook [--seed N] [--params JSON] [--start-training YYYY-MM-DD] [--label-delay-days 7] [--valid-days 2] [--gbdt JSON] [--no-baseline] [--save-model FILE]\n" +
  `  ${"".padEnd(16)} eval --source handbook --through-api [--seed N] [--params JSON] [--batch 500] [--warmup-days 37] [--keep DIR] [--edge URL --aggregator URL --token T --admin-token T]`;

/**
 * --through-api: the same protocol through a running system's API (cli/handbook-api-eval.ts). Without
 * --edge/--aggregator a private embedded system (the processes of `npm start`) is started on free
 * ports in a temporary folder, with the learning loop on the event-time clock, and stopped after.
 */
async function throughApi(values: { seed?: string | undefined; params?: string | undefined; batch?: string | undefined; keep?: string | undefined; "warmup-days"?: string | undefined; edge?: string | undefined; aggregator?: string | undefined; token?: string | undefined; "admin-token"?: string | undefined; "start-training"?: string | undefined }): Promise<number> {
  const params = parseJson(values.params, "--params");
  if (values.seed !== undefined) params.seed = num(values.seed, "--seed", 0, 2 ** 31);
  const batch = num(values.batch ?? "500", "--batch", 1, 1000);
  let system: EmbeddedSystem | undefined;
  let target: ApiTarget;
  if (values.edge || values.aggregator) {
    if (!values.edge || !values.aggregator || !values.token || !values["admin-token"]) throw new UsageError("--edge, --aggregator, --token and --admin-token go together (the aggregator must run with OPS_LEARNING_CLOCK=events)");
    target = { edgeUrl: values.edge, aggregatorUrl: values.aggregator, edgeToken: values.token, adminToken: values["admin-token"] };
  } else {
    const dir = values.keep ?? mkdtempSync(join(tmpdir(), "vigil-hb-api-"));
    system = await startEmbeddedSystem({
      dir,
      aggregatorEnv: { OPS_LEARNING_CLOCK: "events", OPS_RISK_INTERVAL_SECONDS: "86400", MODEL_RETRAIN_INTERVAL_HOURS: "0", MODEL_LABEL_DELAY_DAYS: "7", OPS_STATS_LABEL_DELAY_DAYS: "7" },
      // The handbook's events are from 2018; batches as large as the edge allows.
      edgeEnv: { MAX_EVENT_AGE_DAYS: "3650", MAX_BATCH: String(Math.max(100, batch)), MAX_BATCH_BODY_BYTES: String(16 * 1024 * 1024) },
      log: (l) => console.log(l),
    });
    target = system;
    // Ctrl-C or a timeout ends the private system too (its processes run in their own groups).
    const started = system;
    const end = () => void started.stop().finally(() => process.exit(130));
    process.once("SIGINT", end);
    process.once("SIGTERM", end);
  }
  try {
    const r = await runHandbookApiEval(target, {
      params,
      ...(values["start-training"] ? { protocol: { startTraining: values["start-training"] } } : {}),
      batch,
      ...(values["warmup-days"] !== undefined ? { warmupDays: num(values["warmup-days"], "--warmup-days", 0, 60) } : {}),
      log: (l) => console.log(l),
    });
    console.log(`\n${r.events} events through the edge's batch API (${r.eventsPerSecond.toFixed(0)} events/s while scoring), ${r.labels} fraud labels through /v1/feedback`);
    console.log(`wall time ${r.seconds.total.toFixed(0)} s: scoring ${r.seconds.scoring.toFixed(0)} s, label job and reference refresh ${r.seconds.waiting.toFixed(0)} s (training, promotion and the edge's switch ${r.seconds.training.toFixed(0)} s of it)`);
    console.log(`model ${r.model.version}: validation ${JSON.stringify(r.model.validation)}`);
    console.log(`test week ${r.testRows} tx (${r.testFrauds} fraud, ${r.removed} of known-compromised cards removed); verdicts by model: ${JSON.stringify(r.testVersions)}\n`);
    console.log(`${"test week".padEnd(34)} AUC ROC  AP     CP@100   REVIEW recall/FPR  BLOCK recall/FPR`);
    console.log(row("Vigil through its API", r.figures, r.figures));
    return 0;
  } finally {
    if (system) {
      await system.stop();
      if (!values.keep) rmSync(system.dir, { recursive: true, force: true });
    }
  }
}

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
      "through-api": { type: "boolean", default: false },
      batch: { type: "string" },
      "warmup-days": { type: "string" },
      keep: { type: "string" },
      edge: { type: "string" },
      aggregator: { type: "string" },
      token: { type: "string" },
      "admin-token": { type: "string" },
    },
  });
  if (values["through-api"]) return throughApi(values);
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
  console.log(row("ceiling of this protocol", r.ceiling));
  console.log(`(${r.ceiling.undetectable} of the ${r.testFrauds} test frauds are on terminals compromised too recently for any matured label: no signal; the ceiling ranks every other fraud first)`);
  console.log(`learned thresholds: review ${r.model.thresholds.review}, block ${r.model.thresholds.block} (fraud_score points, from the model's validation slice)`);
  if (values["save-model"]) {
    writeFileSync(values["save-model"], serializeGbdt(r.model));
    console.log(`model written to ${values["save-model"]}`);
  }
  return 0;
}
