import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { writeBatchBodies, writeBodies } from "./bodies.js";
import { benchDeno } from "./deno.js";
import { bridgeAnswers, build, cpuSeconds, edgeVars, ensureWrk, OUT, sampleVerdict, startWorkerd, WORK, wrk, type RunningWorkerd } from "./harness.js";

// npm run bench:edge — requests/s and p50/p99 of POST /v1/transactions/score against the edge
// bundle (`wrangler deploy --dry-run`) served by workerd directly (not `wrangler dev`), beside a
// hello-world Hono worker in the same workerd, with Durable Object storage in memory (tmpfs) and
// then on local disk. Load: wrk (keep-alive, N connections, bounded duration) replaying simulator
// events with fresh transaction ids. Forwarding: the SCORED_EVENTS producer binding goes to a sink
// worker inside the same workerd (nothing consumes it). Reference data: the Upstash bridge when it
// answers (cache-hit path: one load per isolate, then no network call), else REFERENCE_SOURCE=none.
// Prints figures; asserts nothing. Options: --duration 15 --warmup 3 --connections 32 --threads 1
// --cards 5000,50 --storage memory,disk --skip-build --reference auto|upstash|none
// --runtimes workers,deno (the Deno rows: edge/bench/deno.ts, same bodies and wrk script)
// --batch 100 (Workers: also POST /v1/transactions/score/batch with this many events per request,
// the same events in the same order, over --batch-connections 4 (32 × 100 events in flight
// outlast wrk's 5 s timeout); events/s and its ratio to the single-event rate; 0: skip)
// --hello-do ping,write (the platform floor per cards count, before the scored rows: the same
// bodies to a hello worker route that parses them and awaits one RPC on idFromName(card hash) of a
// trivial SQLite-backed object — "ping" returns at once, "write" inserts one row; opt-in: "alarm",
// "send", "outbox" insert the row in a transactionSync and set an alarm once per instance, send
// the body to the queue sink, or both; none: skip).

const { values: args } = parseArgs({
  options: {
    duration: { type: "string", default: "15" },
    warmup: { type: "string", default: "3" },
    connections: { type: "string", default: "32" },
    threads: { type: "string", default: "1" },
    cards: { type: "string", default: "5000,50" },
    storage: { type: "string", default: "memory,disk" },
    "skip-build": { type: "boolean", default: false },
    "upstash-url": { type: "string", default: process.env.UPSTASH_REDIS_REST_URL ?? "http://127.0.0.1:8079" },
    "upstash-token": { type: "string", default: process.env.UPSTASH_REDIS_REST_TOKEN ?? "vigil-local-token" },
    reference: { type: "string", default: "auto" },
    runtimes: { type: "string", default: "workers,deno" },
    batch: { type: "string", default: "100" },
    "batch-connections": { type: "string", default: "4" },
    "hello-do": { type: "string", default: "ping,write" },
  },
});
const duration = Number(args.duration);
const warmup = Number(args.warmup);
const connections = Number(args.connections);
const threads = Number(args.threads);
const cardCounts = args.cards.split(",").map(Number);
const storages = args.storage.split(",") as ("memory" | "disk")[];
const runtimes = args.runtimes.split(",");
const batchSize = Number(args.batch);
const batchConnections = Number(args["batch-connections"]);
const helloDo = args["hello-do"] === "none" ? [] : (args["hello-do"].split(",") as ("ping" | "write" | "alarm" | "send" | "outbox")[]);

interface Row {
  target: string;
  storage: string;
  cards: number | "-";
  rps: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
  workerd_cpu_us_per_req: number;
  /** Requests/s over hello-world's of the same run. */
  ratio_to_hello?: number;
  /** Workerd CPU per request over hello-world's of the same run. */
  cpu_x_hello?: number;
  /** Batch rows: events per second and workerd CPU per event, and events/s over the single-event rate. */
  events_per_s?: number;
  workerd_cpu_us_per_event?: number;
  ratio_to_single?: number;
}

async function measure(target: string, storage: string, cards: number | "-", port: number, bodies: string, w: RunningWorkerd, path?: string, conns = connections): Promise<Row> {
  if (warmup > 0) await wrk({ port, bodies, seconds: warmup, threads, connections: conns, ...(path ? { path } : {}) });
  const cpu0 = cpuSeconds(w.process.pid);
  const r = await wrk({ port, bodies, seconds: duration, threads, connections: conns, ...(path ? { path } : {}) });
  const cpu1 = cpuSeconds(w.process.pid);
  const seconds = r.duration_us / 1e6;
  return {
    target,
    storage,
    cards,
    rps: Math.round(r.requests / seconds),
    p50_ms: r.p50_us / 1000,
    p99_ms: r.p99_us / 1000,
    errors: r.connect_errors + r.read_errors + r.write_errors + r.status_errors + r.timeouts,
    workerd_cpu_us_per_req: Math.round(((cpu1 - cpu0) * 1e6) / Math.max(1, r.requests)),
  };
}

async function main(): Promise<void> {
  mkdirSync(WORK, { recursive: true });
  if (runtimes.includes("workers") && (!args["skip-build"] || !existsSync(join(OUT, "entry.js")))) build();
  ensureWrk();

  const reference =
    args.reference === "upstash" || (args.reference === "auto" && (await bridgeAnswers(args["upstash-url"], args["upstash-token"])))
      ? { url: args["upstash-url"], token: args["upstash-token"] }
      : undefined;
  const referenceNote = reference
    ? `reference: Upstash bridge ${reference.url} (isolate cache hit: no network call per request)`
    : `reference: REFERENCE_SOURCE=none (${args.reference === "none" ? "--reference none" : "bridge not answering"}): every verdict carries REFERENCE_DATA_UNAVAILABLE`;

  const nowMs = Date.now();
  const bodyFiles = new Map<number, string>();
  const events = Math.min(250_000, Math.max(20_000, (duration + warmup) * 9_000));
  for (const cards of cardCounts) {
    const file = join(WORK, `bodies-${cards}.jsonl`);
    const g = await writeBodies(file, { cards, events, seed: 20_261_128 + cards, spanHours: 6, nowMs });
    console.log(`# ${g.events} simulator events over ${g.cards} cards → ${file}`);
    bodyFiles.set(cards, file);
    if (batchSize > 0 && runtimes.includes("workers")) {
      const b = await writeBatchBodies(file, join(WORK, `bodies-${cards}-batch-${batchSize}.jsonl`), batchSize);
      console.log(`# ${b.batches} batches of ${batchSize} from the same events`);
    }
  }
  const firstBodies = bodyFiles.get(cardCounts[0] ?? 50) ?? "";

  const rows: Row[] = [];
  for (const storage of runtimes.includes("workers") ? storages : []) {
    const w = await startWorkerd(storage, edgeVars(reference));
    try {
      console.log(`\n## DO storage: ${storage === "memory" ? "in memory (SQLite on tmpfs)" : "local disk"}: ${w.storageDir}`);
      console.log(`# sample verdict: ${await sampleVerdict(w.edgePort, firstBodies)}`);
      const hello = await measure("hello-world", storage, "-", w.helloPort, firstBodies, w);
      rows.push(hello);
      console.log(JSON.stringify(hello));
      const vsHello = (row: Row): Row => {
        row.ratio_to_hello = Math.round((row.rps / Math.max(1, hello.rps)) * 1000) / 1000;
        row.cpu_x_hello = Math.round((row.workerd_cpu_us_per_req / Math.max(1, hello.workerd_cpu_us_per_req)) * 10) / 10;
        return row;
      };
      for (const cards of cardCounts) {
        for (const variant of helloDo) {
          // Each floor row in a workerd of its own (empty storage, no other objects open): with
          // 5,000 cards a process holding two namespaces' objects runs out of file descriptors.
          const f = await startWorkerd(storage, edgeVars(reference), false, "-floor");
          try {
            const floor = vsHello(await measure(`hello-do ${variant}`, storage, cards, f.helloPort, bodyFiles.get(cards) ?? "", f, `/v1/hello-do/${variant}`));
            rows.push(floor);
            console.log(JSON.stringify(floor));
          } finally {
            await f.stop();
          }
        }
        const row = vsHello(await measure("vigil score", storage, cards, w.edgePort, bodyFiles.get(cards) ?? "", w));
        rows.push(row);
        console.log(JSON.stringify(row));
        if (batchSize > 0) {
          const bodies = join(WORK, `bodies-${cards}-batch-${batchSize}.jsonl`);
          const b = await measure(`vigil batch ${batchSize}`, storage, cards, w.edgePort, bodies, w, "/v1/transactions/score/batch", batchConnections);
          b.events_per_s = b.rps * batchSize;
          b.workerd_cpu_us_per_event = Math.round(b.workerd_cpu_us_per_req / batchSize);
          b.ratio_to_single = Math.round((b.events_per_s / Math.max(1, row.rps)) * 100) / 100;
          rows.push(b);
          console.log(JSON.stringify(b));
        }
      }
    } finally {
      await w.stop();
    }
  }

  if (runtimes.includes("deno")) {
    const denoRows = await benchDeno({ vars: edgeVars(reference), bodyFiles, storages, duration, warmup, threads, connections, onRow: (r) => console.log(JSON.stringify(r)) });
    rows.push(...denoRows);
  }

  console.log(
    `\nedge benchmark: wrk ${threads} thread(s), ${connections} connections, ${duration}s per run after ${warmup}s warm-up; ${referenceNote}; forwarding: queue producer → sink worker in the same workerd`,
  );
  console.table(rows.map((r) => ({ ...r, p50_ms: r.p50_ms.toFixed(2), p99_ms: r.p99_ms.toFixed(2) })));
  const file = join(WORK, `result-${new Date(nowMs).toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify({ at: new Date(nowMs).toISOString(), duration, warmup, connections, threads, reference: referenceNote, rows }, null, 2));
  console.log(`results: ${file}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
