import { parseArgs } from "node:util";
import { defaultEngine, type TransactionEvent } from "../../core/index.js";
import type { LabelledEvent } from "../../core/sim/index.js";
import { replay } from "../../core/backtest/replay.js";
import { createEdgeClient } from "../edge-client.js";
import { averagePrecision, cardPrecisionAtK, recallAtFpr, rocAuc, verdictRates, type Scored } from "../../core/eval/metrics.js";
import { progress } from "../progress.js";
import { traffic } from "../traffic.js";
import { UsageError, edgeFlags, num, type Command } from "./common.js";
import { evalHandbook, HANDBOOK_USAGE } from "./eval-handbook.js";

// Detection quality on a labelled generated stream, replayed on event time: through the edge
// (batches in stream order, so each card's events arrive in order) or in-process through the
// same core engine the edge runs (--target core, no server needed; the replay `vigil backtest` uses).

interface Outcome extends Scored {
  flagged: boolean;
  pattern?: string;
}

async function viaCore(stream: Iterable<LabelledEvent>, total: number): Promise<Outcome[]> {
  await Promise.resolve();
  const items = [...stream];
  const bar = progress("eval (core)", total);
  const { outcomes } = replay(items, defaultEngine(), { progressEvery: 5000, onProgress: (done) => bar.update(done) });
  bar.stop();
  return outcomes.map((o) => {
    const item = items[o.index]!;
    return { score: o.score, isFraud: item.is_fraud, card: o.card, flagged: o.verdict !== "APPROVED", ...(item.pattern ? { pattern: item.pattern } : {}) };
  });
}

async function viaEdge(stream: Iterable<LabelledEvent>, total: number, edge: string, token: string, batchSize: number): Promise<Outcome[]> {
  const client = createEdgeClient({ baseUrl: edge, token, timeoutMs: 60_000 });
  const out: Outcome[] = [];
  const bar = progress("eval (edge)", total);
  let batch: LabelledEvent[] = [];
  const flush = async () => {
    const r = await client.scoreBatch(batch.map((b) => b.event satisfies TransactionEvent));
    if (!r.ok) throw new Error(`edge answered ${r.status} ${r.code}`);
    r.results.forEach((v, i) => {
      const item = batch[i]!;
      out.push({ score: v.fraud_score, isFraud: item.is_fraud, card: item.event.card_number_hash, flagged: v.verdict !== "APPROVED", ...(item.pattern ? { pattern: item.pattern } : {}) });
    });
    batch = [];
    bar.update(out.length);
  };
  for (const item of stream) {
    batch.push(item);
    if (batch.length >= batchSize) await flush();
  }
  if (batch.length > 0) await flush();
  bar.stop();
  return out;
}

export const evalCommand: Command = {
  name: "eval",
  summary: "detection quality (AUC, average precision, card precision@100, recall at fixed FPR)",
  usage: `${HANDBOOK_USAGE}\n  ${"".padEnd(16)} eval [--source vigil] [--target core|edge] [--events 200000] [--cards 20000] [--fraud-rate 0.01] [--seed 42] [--batch 100] [--edge URL] [--token T]`,
  async run(argv) {
    const at = argv.indexOf("--source");
    const source = at >= 0 ? argv[at + 1] : argv.find((a) => a.startsWith("--source="))?.slice(9);
    if (source === "handbook") return evalHandbook(argv);
    if (source !== undefined && source !== "vigil") throw new UsageError(`--source must be vigil or handbook (got ${JSON.stringify(source)})`);
    argv = argv.filter((a, i) => !(a === "--source" || a.startsWith("--source=") || (i > 0 && argv[i - 1] === "--source")));
    const { values } = parseArgs({
      args: argv,
      options: { target: { type: "string", default: "core" }, events: { type: "string", default: "200000" }, cards: { type: "string", default: "20000" }, "fraud-rate": { type: "string", default: "0.01" }, seed: { type: "string", default: "42" }, batch: { type: "string", default: "100" }, ...edgeFlags },
    });
    const events = num(values.events, "--events", 100, 1e8);
    const cards = num(values.cards, "--cards", 1, 1e7);
    // Event time: a fixed historical start for core (reproducible); the recent past for the edge.
    const stream = traffic({
      seed: num(values.seed, "--seed", 0, 2 ** 31), cards, events, fraudRate: num(values["fraud-rate"], "--fraud-rate", 0.0001, 0.5),
      eventRate: cards / (8 * 3600), ...(values.target === "core" ? { startMs: Date.UTC(2026, 0, 5) } : {}),
    });
    const started = performance.now();
    const outcomes = values.target === "edge"
      ? await viaEdge(stream, events, values.edge, values.token, num(values.batch, "--batch", 1, 100))
      : await viaCore(stream, events);
    const seconds = (performance.now() - started) / 1000;
    const frauds = outcomes.filter((o) => o.isFraud).length;
    console.log(`\n${outcomes.length} events (${frauds} fraud, ${new Set(outcomes.map((o) => o.card)).size} cards) through the ${values.target} in ${seconds.toFixed(1)} s`);
    console.log(`ROC AUC                 ${rocAuc(outcomes).toFixed(4)}`);
    console.log(`average precision       ${averagePrecision(outcomes).toFixed(4)}`);
    console.log(`card precision@100      ${cardPrecisionAtK(outcomes, 100).toFixed(4)}`);
    for (const fpr of [0.001, 0.005, 0.01, 0.05]) {
      const r = recallAtFpr(outcomes, fpr);
      console.log(`recall @ FPR ${(fpr * 100).toFixed(1).padStart(4)}%     ${r.recall.toFixed(4)} (score > ${r.threshold.toFixed(1)})`);
    }
    const v = verdictRates(outcomes);
    console.log(`verdicts: detection (REVIEW+BLOCKED) ${(v.detectionRate * 100).toFixed(1)}%, false positives ${(v.falsePositiveRate * 100).toFixed(2)}%`);
    const patterns = new Map<string, { n: number; caught: number }>();
    for (const o of outcomes) {
      if (!o.pattern) continue;
      const p = patterns.get(o.pattern) ?? { n: 0, caught: 0 };
      p.n++;
      if (o.flagged) p.caught++;
      patterns.set(o.pattern, p);
    }
    for (const [name, p] of patterns) console.log(`  ${name.padEnd(20)} ${p.caught}/${p.n} flagged (${((p.caught / p.n) * 100).toFixed(1)}%)`);
    return 0;
  },
};
