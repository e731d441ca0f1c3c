import { parseArgs } from "node:util";
import { createEdgeClient } from "../edge-client.js";
import { pace, percentile } from "../pacer.js";
import { progress } from "../progress.js";
import { Tally, traffic } from "../traffic.js";
import { edgeFlags, num, type Command } from "./common.js";

// The spec's synthetic producer (--rate --fraud-rate --duration), posting to the edge API.
export const producer: Command = {
  name: "producer",
  summary: "send synthetic labelled traffic to the edge at a steady rate",
  usage: "producer [--rate 100] [--fraud-rate 0.02] [--duration 60] [--cards 10000] [--seed 1] [--edge URL] [--token T]",
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: { rate: { type: "string", default: "100" }, "fraud-rate": { type: "string", default: "0.02" }, duration: { type: "string", default: "60" }, cards: { type: "string", default: "10000" }, seed: { type: "string", default: "1" }, ...edgeFlags },
    });
    const rate = num(values.rate, "--rate", 0.1, 100_000);
    const duration = num(values.duration, "--duration", 1, 86_400);
    const fraudRate = num(values["fraud-rate"], "--fraud-rate", 0, 0.5);
    const cards = num(values.cards, "--cards", 1, 10_000_000);
    const events = Math.ceil(rate * duration);
    const client = createEdgeClient({ baseUrl: values.edge, token: values.token });
    const stream = traffic({ seed: num(values.seed, "--seed", 0, 2 ** 31), cards, events, fraudRate, eventRate: rate });
    const tally = new Tally();
    const bar = progress("producer", events);
    const stats = await pace({ ratePerSecond: rate, durationSeconds: duration, maxInFlight: 512 }, () => {
      const n = stream.next();
      if (n.done) return undefined;
      const item = n.value;
      return client.score(item.event).then((r) => tally.record(item, r));
    }, (released) => bar.update(released, { ...tally.verdicts, errors: tally.errorCount }));
    bar.stop();
    const lat = [...tally.latencies].sort((a, b) => a - b);
    console.log(`\nsent ${tally.sent} in ${stats.elapsedSeconds.toFixed(1)} s (${(tally.sent / stats.elapsedSeconds).toFixed(0)}/s), dropped at in-flight cap ${stats.skippedAtCap}`);
    console.log(`verdicts: APPROVED ${tally.verdicts.APPROVED}, REVIEW ${tally.verdicts.REVIEW}, BLOCKED ${tally.verdicts.BLOCKED}; errors ${JSON.stringify(Object.fromEntries(tally.errors))}`);
    console.log(`latency p50 ${percentile(lat, 50).toFixed(1)} ms, p99 ${percentile(lat, 99).toFixed(1)} ms`);
    return tally.errorCount > 0 && tally.errorCount === tally.sent ? 1 : 0;
  },
};
