import { parseArgs } from "node:util";
import { createEdgeClient } from "../edge-client.js";
import { verdictRates } from "../../core/eval/metrics.js";
import { pace, percentile } from "../pacer.js";
import { progress } from "../progress.js";
import { Tally, traffic } from "../traffic.js";
import { edgeFlags, num, type Command } from "./common.js";

// The spec's load test: a fixed offered rate against the edge for a duration, with labelled fraud
// injected, reporting sustained throughput, latency, detection rate and false-positive rate.
export const loadTest: Command = {
  name: "load-test",
  summary: "offer a fixed TPS to the edge and report throughput, p99, detection and false positives",
  usage: "load-test [--tps 200] [--duration 30] [--fraud-injection-rate 0.02] [--cards 5000] [--seed 7] [--connections 1024] [--json] [--edge URL] [--token T]",
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: { tps: { type: "string", default: "200" }, duration: { type: "string", default: "30" }, "fraud-injection-rate": { type: "string", default: "0.02" }, cards: { type: "string", default: "5000" }, seed: { type: "string", default: "7" }, connections: { type: "string", default: "1024" }, json: { type: "boolean", default: false }, ...edgeFlags },
    });
    const tps = num(values.tps, "--tps", 1, 100_000);
    const duration = num(values.duration, "--duration", 1, 3_600);
    const fraudRate = num(values["fraud-injection-rate"], "--fraud-injection-rate", 0, 0.5);
    // Requests in flight at most (keep-alive fetch: about as many connections); above it, due
    // requests are counted as not sent rather than queued.
    const connections = num(values.connections, "--connections", 1, 100_000);
    const events = Math.ceil(tps * duration);
    const client = createEdgeClient({ baseUrl: values.edge, token: values.token });
    const stream = traffic({ seed: num(values.seed, "--seed", 0, 2 ** 31), cards: num(values.cards, "--cards", 1, 1e7), events, fraudRate, eventRate: tps });
    const tally = new Tally();
    const bar = progress("load-test", events);
    const stats = await pace({ ratePerSecond: tps, durationSeconds: duration, maxInFlight: connections }, () => {
      const n = stream.next();
      if (n.done) return undefined;
      const item = n.value;
      return client.score(item.event).then((r) => tally.record(item, r));
    }, (released) => bar.update(released, { ok: tally.latencies.length, errors: tally.errorCount }));
    bar.stop();
    const lat = [...tally.latencies].sort((a, b) => a - b);
    const answered = tally.latencies.length;
    const rates = verdictRates(tally.outcomes);
    const sustained = answered / stats.elapsedSeconds;
    const mark = (ok: boolean) => (ok ? "✅" : "❌");
    console.log("");
    console.log(`${mark(sustained >= tps * 0.95)} Throughput: ${sustained.toFixed(0)} TPS sustained (offered ${tps}, ${tally.errorCount} errors, ${stats.skippedAtCap} not sent at the in-flight cap)`);
    console.log(`${mark(percentile(lat, 99) < 100)} P99 latency: ${percentile(lat, 99).toFixed(1)} ms (p50 ${percentile(lat, 50).toFixed(1)} ms)`);
    console.log(`   Fraud detection rate: ${(rates.detectionRate * 100).toFixed(1)}% (REVIEW or BLOCKED among injected fraud)`);
    console.log(`${mark(rates.falsePositiveRate < 0.005)} False positive rate: ${(rates.falsePositiveRate * 100).toFixed(2)}% (target < 0.5%)`);
    console.log(`   Verdicts: APPROVED ${tally.verdicts.APPROVED}, REVIEW ${tally.verdicts.REVIEW}, BLOCKED ${tally.verdicts.BLOCKED}`);
    if (tally.errors.size > 0) console.log(`   Errors: ${JSON.stringify(Object.fromEntries(tally.errors))}`);
    // One machine-readable line for scripts (npm run bench:e2e).
    if (values.json) {
      console.log(JSON.stringify({ type: "load-test", offered: tps, answered, errors: tally.errorCount, skippedAtCap: stats.skippedAtCap, elapsedSeconds: stats.elapsedSeconds, p50ms: percentile(lat, 50), p99ms: percentile(lat, 99), verdicts: tally.verdicts }));
    }
    return answered === 0 ? 1 : 0;
  },
};
