import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import kafkajs from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOPICS } from "../../aggregator/ports/index.js";
import { countCassandraVerdicts, openStackStores, parquetStats, privateEventHour, stackConfig, summaryTotal, type StackStores } from "../../aggregator/testing/stack-harness.js";
import { scoredRecords } from "../../aggregator/testing/ingest-fixtures.js";
import type { ScoredEvent } from "../../core/schemas.js";
import { signBody } from "../../core/signing.js";
import { freePort, startChild, until, type Child } from "../testing/procs.js";

// Issue 13, "stop and hang": a stream of a few thousand scored events goes through POST /v1/ingest
// of two real aggregator processes (stack profile) while Kafka, Cassandra, PostgreSQL, S3Proxy and
// one aggregator are each hung (SIGSTOP … SIGCONT) in turn, and that aggregator is then killed
// (SIGKILL) and started again. The sender behaves like the edge's forwarder, time-compressed: a
// 503, a timeout or a refused connection is retried with a NEW signature, to the other process,
// and some accepted batches are re-sent on purpose (a lost answer). Afterwards every transaction
// id must be in Cassandra, PostgreSQL and the Parquet archive exactly once, and none dead-lettered.
//
// It stops services, so it runs on a PRIVATE stack (own ports and data folder; nobody else's tests
// are disturbed) or under the stack lock. Private stack, as run for issue 13:
//   VIGIL_STACK_DIR=/tmp/x KAFKA_PORT=29092 KAFKA_CONTROLLER_PORT=29093 CASSANDRA_PORT=29042
//   CASSANDRA_STORAGE_PORT=27000 S3_PORT=29000 bash infra/stack.sh up kafka cassandra s3proxy && … init
//   plus a PostgreSQL cluster of its own (initdb; pg_ctl -o "-p 25432"), DATABASE_URL pointing at it,
//   and KAFKA_BROKERS / CASSANDRA_CONTACT_POINTS / S3_ENDPOINT for the test and its children.
// PostgreSQL is hung through its postmaster and every backend (pids from SHOW data_directory).
// Loopback only; bounded: every wait has a deadline. Counts are printed (FAULT_REPORT line).

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
// Same default and resolution as infra/stack.env and lib.sh's abs_path: relative to the repo root.
const STACK = resolve(ROOT, process.env.VIGIL_STACK_DIR ?? ".data/stack");
const tag = Math.random().toString(36).slice(2, 8).replace(/\d/g, "q");
const RUN = `flt${tag}`;
const N = Number(process.env.FAULT_EVENTS ?? 3000);
const BATCH = 25;
const SECRET = "fault-test-secret-0123456789";
const OPS_TOKEN = `fault-token-${tag}`;
const HOLD_MS = 7000; // long enough for every compressed timeout below to fire
const PREFIX = `fault-${tag}.`;

const childEnv = (port: number): Record<string, string> => ({
  VIGIL_PROFILE: "stack",
  VIGIL_ENV: "local", // the local stack runs on its development credentials
  PORT: String(port),
  HOST: "127.0.0.1",
  INGEST_SECRET: SECRET,
  KAFKA_TOPIC_PREFIX: PREFIX,
  KAFKA_LOCAL_PARTITIONS: "4",
  KAFKA_LOCAL_RF: "1",
  S3_KEY_PREFIX: `fault-${tag}`,
  SINK_GROUP_CASSANDRA: `${PREFIX}cassandra`,
  SINK_GROUP_POSTGRES: `${PREFIX}postgres`,
  SINK_GROUP_S3: `${PREFIX}s3`,
  SINK_GROUP_REVIEW: `${PREFIX}review`,
  SINK_GROUP_RISK_FACTS: `${PREFIX}risk`,
  OPS_BOOTSTRAP_TOKENS: JSON.stringify([{ name: "fault", role: "viewer", sha256: createHash("sha256").update(OPS_TOKEN).digest("hex") }]),
  OPS_RISK_INTERVAL_SECONDS: "86400",
  // time-compressed timeouts (production defaults: aggregator/config.ts)
  INGEST_DEADLINE_MS: "2500",
  EDGE_FORWARD_TIMEOUT_MS: "4000",
  PG_CONNECT_TIMEOUT_MS: "2000",
  PG_STATEMENT_TIMEOUT_MS: "3000",
  PG_QUERY_TIMEOUT_MS: "3500",
  S3_REQUEST_TIMEOUT_MS: "3000",
  CASSANDRA_READ_TIMEOUT_MS: "3000",
  SINK_BATCH_DEADLINE_MS: "6000",
});

interface Agg {
  name: string;
  port: number;
  url: string;
  child: Child;
}

async function startAggregator(name: string, port?: number): Promise<Agg> {
  const p = port ?? (await freePort());
  const child = startChild(join(ROOT, "node_modules/.bin/tsx"), ["aggregator/server.ts"], { cwd: ROOT, env: childEnv(p), name });
  const url = `http://127.0.0.1:${p}`;
  await until(`${name} listening`, 120_000, async () => {
    if (child.proc.exitCode !== null) throw new Error(`${name} exited: ${child.output().slice(-2000)}`);
    const r = await fetch(`${url}/healthz`).catch(() => undefined);
    return r?.status === 200 ? true : undefined;
  });
  return { name, port: p, url, child };
}

const pidFile = (service: string) => Number(readFileSync(join(STACK, service, `${service}.pid`), "utf8").trim());
/** The PostgreSQL server behind DATABASE_URL: its postmaster (first line of postmaster.pid) and every backend. */
async function postgresPids(sql: StackStores["sql"]): Promise<number[]> {
  const dataDir = (await sql.query<{ data_directory: string }>("SHOW data_directory")).rows[0]!.data_directory;
  const master = Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
  const children = execFileSync("ps", ["-o", "pid=", "--ppid", String(master)]).toString().split("\n").map((s) => Number(s.trim())).filter((n) => n > 0);
  return [master, ...children];
}

function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // exited meanwhile
    }
  }
}

/** SIGSTOP for HOLD_MS, then SIGCONT — always, even when the wait is interrupted. */
async function hang(pids: number[], onHeld?: () => Promise<void>): Promise<void> {
  signal(pids, "SIGSTOP");
  try {
    await Promise.all([new Promise((r) => setTimeout(r, HOLD_MS)), onHeld?.()]);
  } finally {
    signal(pids, "SIGCONT");
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("stop and hang every dependency during a stream (issue 13)", () => {
  let stores: StackStores;
  const aggs: Agg[] = [];
  const stopped = new Set<number>();
  const baseMs = privateEventHour();
  const records: ScoredEvent[] = scoredRecords(0, N, { run: RUN, cards: 200, baseMs });
  const ids = records.map((r) => r.event.transaction_id);
  const kafka = new kafkajs.Kafka({ clientId: `fault-${tag}`, brokers: stackConfig().KAFKA_BROKERS, logLevel: kafkajs.logLevel.NOTHING });

  beforeAll(async () => {
    stores = await openStackStores(stackConfig());
    aggs.push(...(await Promise.all([startAggregator("agg-a"), startAggregator("agg-b")])));
  }, 240_000);

  afterAll(async () => {
    signal([...stopped], "SIGCONT");
    if (process.env.FAULT_LOG_DIR) for (const a of aggs) writeFileSync(join(process.env.FAULT_LOG_DIR, `${a.name}.log`), a.child.output());
    await Promise.all(aggs.map((a) => a.child.kill(5000)));
    const admin = kafka.admin();
    await admin.connect().catch(() => undefined);
    const topics = (await admin.listTopics().catch(() => [] as string[])).filter((t) => t.startsWith(PREFIX));
    if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await stores?.close();
  }, 120_000);

  it("every transaction lands exactly once in Cassandra, PostgreSQL and the archive; none dead-lettered", async () => {
    const stats = { batches: 0, attempts: 0, retries: 0, resent: 0, duplicatesAcked: 0, answers: {} as Record<string, number> };
    const sawStalled = new Set<string>();
    let streaming = true;

    async function post(target: Agg, body: string, attempt: number): Promise<number | string> {
      const headers = await signBody(SECRET, body, Math.floor(Date.now() / 1000) + attempt); // a new signature per attempt
      try {
        const r = await fetch(`${target.url}/v1/ingest`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body, signal: AbortSignal.timeout(4000) });
        const j = (await r.json().catch(() => ({}))) as { duplicates?: number; error?: { code?: string } };
        if (r.status === 202) stats.duplicatesAcked += j.duplicates ?? 0;
        return r.status === 202 ? 202 : `${r.status}:${j.error?.code ?? "?"}`;
      } catch (e) {
        return (e as Error).name === "TimeoutError" ? "timeout" : "network";
      }
    }

    /** The edge's forwarder, time-compressed: retry until 202, alternating processes, capped backoff. */
    async function forward(k: number, body: string): Promise<void> {
      for (let attempt = 0; ; attempt++) {
        stats.attempts++;
        const answer = await post(aggs[(k + attempt) % aggs.length]!, body, attempt);
        stats.answers[String(answer)] = (stats.answers[String(answer)] ?? 0) + 1;
        if (answer === 202) return;
        stats.retries++;
        if (attempt > 400) throw new Error(`batch ${k} not accepted after ${attempt} attempts (last ${answer})`);
        await sleep(Math.min(2000, 100 * 2 ** Math.min(attempt, 5)));
      }
    }

    const healthPoll = (async () => {
      while (streaming) {
        for (const a of aggs) {
          const r = await fetch(`${a.url}/v1/health`, { headers: { authorization: `Bearer ${OPS_TOKEN}` }, signal: AbortSignal.timeout(3000) }).catch(() => undefined);
          const h = r?.ok ? ((await r.json()) as { sinks: Record<string, { state: string }> }) : undefined;
          for (const [name, s] of Object.entries(h?.sinks ?? {})) if (s.state === "stalled") sawStalled.add(name);
        }
        await sleep(1000);
      }
    })();

    // The stream: one batch every 350 ms (about 85 s for 3000 events), each forwarded on its own.
    const t0 = Date.now();
    const batches: string[] = [];
    for (let i = 0; i < N; i += BATCH) batches.push(JSON.stringify({ records: records.slice(i, i + BATCH) }));
    const sending = (async () => {
      const inflight: Array<Promise<void>> = [];
      for (const [k, body] of batches.entries()) {
        const wait = t0 + k * 350 - Date.now();
        if (wait > 0) await sleep(wait);
        stats.batches++;
        inflight.push(
          forward(k, body).then(async () => {
            // Every 10th accepted batch is sent again (its answer "lost"): a re-signed duplicate.
            if (k % 10 === 3) {
              stats.resent++;
              await forward(k + 1, body);
            }
          }),
        );
      }
      await Promise.all(inflight);
    })();

    // The faults, in turn, while the stream runs.
    const faults: string[] = [];
    const fault = async (name: string, pids: number[], onHeld?: () => Promise<void>) => {
      pids.forEach((p) => stopped.add(p));
      await hang(pids, onHeld);
      pids.forEach((p) => stopped.delete(p));
      faults.push(name);
      await sleep(4000);
    };
    await sleep(5000);
    await fault("kafka SIGSTOP", [pidFile("kafka")]);
    await fault("cassandra SIGSTOP", [pidFile("cassandra")]);
    await fault("postgresql SIGSTOP (postmaster + backends)", await postgresPids(stores.sql));
    await fault("s3proxy SIGSTOP", [pidFile("s3proxy")]);
    const victim = aggs[0]!;
    await fault("aggregator SIGSTOP", [victim.child.proc.pid!].map((p) => -p)); // its whole process group
    // kill -9 and start again on the same port (it must still be alive: a hang is no reason to exit)
    for (const a of aggs) {
      if (a.child.proc.exitCode !== null || a.child.proc.signalCode !== null) {
        throw new Error(`${a.name} exited by itself during the faults (${faults.join(", ")}): ${a.child.output().slice(-3000)}`);
      }
    }
    process.kill(-victim.child.proc.pid!, "SIGKILL");
    await victim.child.exited;
    faults.push("aggregator SIGKILL + restart");
    aggs[0] = await startAggregator("agg-a2", victim.port);

    await sending;
    streaming = false;
    await healthPoll;
    const streamSeconds = (Date.now() - t0) / 1000;

    // Drain: wait until every sink holds every transaction (bounded).
    const cfg = stores.config;
    const date = new Date(baseMs).toISOString().slice(0, 10);
    const pgCount = async () =>
      Number(
        (await stores.sql.query<{ n: string }>("SELECT count(*)::text AS n FROM fraud_reporting.summary_applied WHERE transaction_id LIKE $1", [`${RUN}-%`])).rows[0]?.n ?? 0,
      );
    const s3 = async (what: string) => parquetStats(stores.archive, `fault-${tag}/${what}/`);
    let seen = "";
    await until("every sink caught up", 180_000, async () => {
      const [c, p, v] = await Promise.all([countCassandraVerdicts(stores.cassandra, cfg.CASSANDRA_KEYSPACE, ids), pgCount(), s3("verdicts")]);
      seen = `cassandra ${c}, postgres ${p}, parquet verdict transactions ${v.transactions} of ${N}`;
      return c === N && p === N && v.transactions === N ? true : undefined;
    }, 3000).catch((e: unknown) => {
      const tail = aggs.map((a) => `${a.name}: ${a.child.output().split("\n").filter((l) => /"level":"(warn|error)"/.test(l)).slice(-15).join("\n")}`).join("\n");
      throw new Error(`${e instanceof Error ? e.message : String(e)}; last seen: ${seen}\n${tail}`);
    });

    const cassandra = await countCassandraVerdicts(stores.cassandra, cfg.CASSANDRA_KEYSPACE, ids);
    const pgApplied = await pgCount();
    const pgSummary = await summaryTotal(stores.summaries, date);
    const pgFacts = Number(
      (await stores.sql.query<{ n: string }>("SELECT count(*)::text AS n FROM fraud_ops.scored_transactions WHERE transaction_id LIKE $1", [`${RUN}-%`])).rows[0]?.n ?? 0,
    );
    const verdictFiles = await s3("verdicts");
    const rawFiles = await s3("raw/transactions");
    const admin = kafka.admin();
    await admin.connect();
    const sum = async (t: string) => (await admin.fetchTopicOffsets(`${PREFIX}${t}`)).reduce((a, p) => a + Number(p.high) - Number(p.low), 0);
    const kafkaVerdicts = await sum(TOPICS.verdicts);
    const deadLettered = await sum(TOPICS.deadLetter);
    await admin.disconnect();
    const logs = aggs.map((a) => a.child.output()).join("\n") + victim.child.output();
    const count = (code: string) => logs.split("\n").filter((l) => l.includes(`"code":"${code}"`)).length;

    const report = {
      events_sent: N,
      batches: stats.batches,
      post_attempts: stats.attempts,
      retries: stats.retries,
      batches_resent_on_purpose: stats.resent,
      duplicates_acknowledged_not_republished: stats.duplicatesAcked,
      answers: stats.answers,
      faults,
      stream_seconds: streamSeconds,
      kafka_verdict_messages: kafkaVerdicts,
      kafka_duplicate_verdict_messages: kafkaVerdicts - N,
      cassandra_verdicts: cassandra,
      postgres_summary_applied: pgApplied,
      postgres_daily_summary_total: pgSummary,
      postgres_scored_transactions: pgFacts,
      parquet_verdict_rows: verdictFiles.rows,
      parquet_verdict_transactions: verdictFiles.transactions,
      parquet_raw_rows: rawFiles.rows,
      parquet_raw_transactions: rawFiles.transactions,
      dead_lettered: deadLettered,
      sinks_seen_stalled_in_health: [...sawStalled].sort(),
      log_sink_stalled: count("SINK_STALLED"),
      log_sink_resumed: count("SINK_RESUMED"),
      log_dead_lettered: count("SINK_DEAD_LETTERED"),
    };
    console.log(`FAULT_REPORT ${JSON.stringify(report)}`);

    expect(cassandra).toBe(N);
    expect(pgApplied).toBe(N);
    expect(pgSummary).toBe(N);
    expect(pgFacts).toBe(N);
    expect(verdictFiles).toMatchObject({ rows: N, transactions: N });
    expect(rawFiles).toMatchObject({ rows: N, transactions: N });
    expect(deadLettered).toBe(0);
    expect(count("SINK_DEAD_LETTERED")).toBe(0);
  }, 600_000);
});
