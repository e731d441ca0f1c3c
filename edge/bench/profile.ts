import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { writeBodies } from "./bodies.js";
import { bridgeAnswers, edgeVars, ensureWrk, sampleVerdict, startWorkerd, WORK, wrk } from "./harness.js";

// npm run bench:edge:profile — where the edge worker's CPU goes under load: a V8 CPU profile of the
// "vigil" isolate (worker and CardState objects) taken over the inspector while wrk drives it.
// Prints self time per function (top N) and writes the .cpuprofile (open it in Chrome DevTools).
// Expects a bundle from `npm run bench:edge` (dist/edge).

const { values: args } = parseArgs({
  options: {
    seconds: { type: "string", default: "8" },
    cards: { type: "string", default: "5000" },
    storage: { type: "string", default: "memory" },
    top: { type: "string", default: "30" },
  },
});

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function cdp(url: string) {
  const ws = new WebSocket(url);
  let next = 1;
  const waiting = new Map<number, (v: unknown) => void>();
  ws.addEventListener("message", (e) => {
    const msg = JSON.parse(String(e.data)) as { id?: number; result?: unknown; error?: unknown };
    if (msg.id !== undefined) waiting.get(msg.id)?.(msg.error ? Promise.reject(new Error(JSON.stringify(msg.error))) : msg.result);
  });
  const opened = new Promise<void>((r, j) => {
    ws.addEventListener("open", () => r());
    ws.addEventListener("error", () => j(new Error(`cannot connect ${url}`)));
  });
  return {
    opened,
    send: <T>(method: string, params: Record<string, unknown> = {}) =>
      new Promise<T>((r) => {
        const id = next++;
        waiting.set(id, r as (v: unknown) => void);
        ws.send(JSON.stringify({ id, method, params }));
      }),
    close: () => ws.close(),
  };
}

async function main(): Promise<void> {
  ensureWrk();
  const cards = Number(args.cards);
  const bodies = join(WORK, `profile-bodies-${cards}.jsonl`);
  await writeBodies(bodies, { cards, events: 120_000, seed: 7 + cards, spanHours: 6, nowMs: Date.now() });
  const ref = (await bridgeAnswers("http://127.0.0.1:8079", "vigil-local-token")) ? { url: "http://127.0.0.1:8079", token: "vigil-local-token" } : undefined;
  const w = await startWorkerd(args.storage === "disk" ? "disk" : "memory", edgeVars(ref), true);
  try {
    console.log(`# sample verdict: ${await sampleVerdict(w.edgePort, bodies)}`);
    await wrk({ port: w.edgePort, bodies, seconds: 2, threads: 1, connections: 32 });
    const c = cdp(`ws://127.0.0.1:${w.inspectorPort}/vigil`);
    await c.opened;
    await c.send("Profiler.enable");
    await c.send("Profiler.setSamplingInterval", { interval: 200 });
    await c.send("Profiler.start");
    const r = await wrk({ port: w.edgePort, bodies, seconds: Number(args.seconds), threads: 1, connections: 32 });
    const { profile } = await c.send<{ profile: Profile }>("Profiler.stop");
    c.close();
    writeFileSync(join(WORK, "edge.cpuprofile"), JSON.stringify(profile));

    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const self = new Map<number, number>();
    profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
    const total = [...self.values()].reduce((a, b) => a + b, 0);
    const byFn = new Map<string, number>();
    for (const [id, us] of self) {
      const f = byId.get(id)?.callFrame;
      const key = f ? `${f.functionName || "(anonymous)"} ${f.url.split("/").pop() ?? ""}:${f.lineNumber + 1}` : "?";
      byFn.set(key, (byFn.get(key) ?? 0) + us);
    }
    console.log(`# ${r.requests} requests in ${(r.duration_us / 1e6).toFixed(1)} s; profile ${(total / 1e6).toFixed(2)} s sampled; self time per request by function:`);
    const top = [...byFn.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(args.top));
    for (const [fn, us] of top) console.log(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / r.requests).toFixed(1).padStart(7)} µs/req  ${fn}`);
    // Inclusive time of the main stages (a function counted once per sample it is on the stack of).
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const stages = ["fetch", "prepare", "parseSingle", "lookup", "scoreAndForward", "scoreCard", "scoreEvents", "resolveEngines", "transactionSync", "applyAll", "process", "encodeCardState", "forward", "sendBatch"];
    const inclusive = new Map<string, number>(stages.map((s) => [s, 0]));
    for (const [id, us] of self) {
      const onStack = new Set<string>();
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        const name = byId.get(cur)?.callFrame.functionName ?? "";
        if (inclusive.has(name)) onStack.add(name);
      }
      for (const name of onStack) inclusive.set(name, (inclusive.get(name) ?? 0) + us);
    }
    console.log("# inclusive time per request by stage (JS on the isolate thread):");
    for (const [name, us] of inclusive) console.log(`${(us / r.requests).toFixed(1).padStart(8)} µs/req  ${name}`);
    console.log(`profile: ${join(WORK, "edge.cpuprofile")}`);
  } finally {
    await w.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
