import { silentLogger } from "../../core/contracts/logger.js";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKafkaBus } from "../../aggregator/bus/kafka-bus.js";
import { deletePrefix } from "../../aggregator/testing/s3-harness.js";
import { TOPICS } from "../../aggregator/ports/index.js";
import { s3ClientFrom } from "../../aggregator/stores/index.js";
import { openStackStores, parquetStats, stackConfig, type StackStores } from "../../aggregator/testing/stack-harness.js";
import type { VerdictResponse } from "../../core/schemas.js";
import { generateStream, type LabelledEvent } from "../../core/sim/index.js";
import { Fatal, freePort, startChild, until, type Child } from "../testing/procs.js";

// The stack profile end to end: simulated traffic (core/sim, with fraud) → the edge in local
// workerd (`wrangler dev`, reference data from Redis through the Upstash bridge) → its Cloudflare
// Queue consumer → signed POST /v1/ingest → Kafka → Cassandra, PostgreSQL and S3 → the ops API.
// Isolation per run: own topic prefix and consumer groups, a fresh PostgreSQL database, an S3 key
// prefix, a temporary Durable Object store, card hashes from a run-specific seed.

const repo = resolve(import.meta.dirname, "../..");
const bin = (n: string) => join(repo, "node_modules/.bin", n);
const uniq = `${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
const EDGE_TOKEN = `e2e-edge-${randomBytes(12).toString("hex")}`;
const OPS_TOKEN = `e2e-ops-${randomBytes(12).toString("hex")}`;
const INGEST_SECRET = `e2e-ingest-${randomBytes(16).toString("hex")}`;
const DB = `vigil_e2e_${uniq}`;
const S3_PREFIX = `e2e-${uniq}`;
const ADMIN_DB = "postgres://postgres@127.0.0.1:5432/test";

const work = mkdtempSync(join(tmpdir(), "vigil-e2e-stack-"));
let aggregator: Child | undefined;
let edge: Child | undefined;
let stores: StackStores | undefined;
let edgeUrl = "";
let aggUrl = "";

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: ADMIN_DB });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

const ok = async (url: string): Promise<true | undefined> => {
  const r = await fetch(url, { signal: AbortSignal.timeout(3000) });
  return r.status < 500 ? true : undefined;
};

beforeAll(async () => {
  await admin(`CREATE DATABASE ${DB}`);
  const aggPort = await freePort();
  aggUrl = `http://127.0.0.1:${aggPort}`;
  aggregator = startChild(bin("tsx"), ["aggregator/server.ts"], {
    cwd: repo,
    name: "aggregator",
    env: {
      VIGIL_PROFILE: "stack",
      VIGIL_ENV: "local",
      PORT: String(aggPort),
      HOST: "127.0.0.1",
      INGEST_SECRET,
      KAFKA_TOPIC_PREFIX: `e2e-${uniq}.`,
      KAFKA_CLIENT_ID: `vigil-e2e-${uniq}`,
      // One local broker: the production topic layout (replication 3) cannot be created on it.
      KAFKA_LOCAL_PARTITIONS: "4",
      KAFKA_LOCAL_RF: "1",
      SINK_GROUP_CASSANDRA: `e2e-${uniq}-cassandra`,
      SINK_GROUP_POSTGRES: `e2e-${uniq}-postgres`,
      SINK_GROUP_S3: `e2e-${uniq}-s3`,
      SINK_GROUP_REVIEW: `e2e-${uniq}-review`,
      SINK_GROUP_RISK_FACTS: `e2e-${uniq}-risk`,
      DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${DB}`,
      S3_KEY_PREFIX: S3_PREFIX,
      VIGIL_DATA_DIR: join(work, "aggregator"),
      OPS_BOOTSTRAP_TOKENS: JSON.stringify([{ name: "e2e-viewer", sha256: sha256(OPS_TOKEN), role: "viewer" }]),
      // The risk job must not publish this run's reference data to the shared Redis.
      UPSTASH_REDIS_REST_URL: undefined,
      UPSTASH_REDIS_REST_TOKEN: undefined,
    },
  });
  await until("aggregator /v1/health", 240_000, () => {
    if (aggregator!.proc.exitCode !== null) throw new Fatal(`aggregator exited:\n${aggregator!.output().slice(-3000)}`);
    return ok(`${aggUrl}/v1/health`);
  }).catch((e: unknown) => {
    throw new Error(`${String(e)}\n${aggregator!.output().slice(-3000)}`);
  });

  const edgePort = await freePort();
  const inspectorPort = await freePort();
  edgeUrl = `http://127.0.0.1:${edgePort}`;
  const envFile = join(work, "edge.env");
  writeFileSync(
    envFile,
    [
      `EDGE_TOKENS='${JSON.stringify([{ id: "e2e-terminal", sha256: sha256(EDGE_TOKEN), channels: ["IN_STORE", "ATM", "MOBILE", "ONLINE"] }])}'`,
      `AGGREGATOR_URL=${aggUrl}`,
      `AGGREGATOR_SECRET=${INGEST_SECRET}`,
      "REFERENCE_SOURCE=upstash",
      `UPSTASH_REDIS_REST_URL=${process.env.VIGIL_UPSTASH_URL ?? "http://127.0.0.1:8079"}`,
      `UPSTASH_REDIS_REST_TOKEN=${process.env.VIGIL_UPSTASH_TOKEN ?? "vigil-local-token"}`,
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  edge = startChild(
    bin("wrangler"),
    ["dev", "--ip", "127.0.0.1", "--port", String(edgePort), "--inspector-port", String(inspectorPort), "--env-file", envFile, "--persist-to", join(work, "edge"), "--show-interactive-dev-session=false", "--log-level", "warn"],
    { cwd: repo, name: "edge", env: { WRANGLER_SEND_METRICS: "false", CI: "true" } },
  );
  await until("edge /v1/health", 240_000, () => {
    if (edge!.proc.exitCode !== null) throw new Fatal(`wrangler dev exited:\n${edge!.output().slice(-3000)}`);
    return ok(`${edgeUrl}/v1/health`);
  }).catch((e: unknown) => {
    throw new Error(`${String(e)}\n${edge!.output().slice(-3000)}`);
  });
  stores = await openStackStores(stackConfig({ DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${DB}`, S3_KEY_PREFIX: S3_PREFIX }));
}, 600_000);

afterAll(async () => {
  await Promise.all([edge?.kill(), aggregator?.kill()]);
  if (stores) {
    const s3 = s3ClientFrom(stores.config);
    await deletePrefix(s3, stores.config.S3_BUCKET, `${S3_PREFIX}/`).catch(() => undefined);
    s3.destroy();
    await stores.close().catch(() => undefined);
  }
  await admin(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`).catch(() => undefined);
  const kafka = createKafkaBus({ brokers: ["127.0.0.1:9092"], clientId: `vigil-e2e-cleanup-${uniq}`, topicPrefix: `e2e-${uniq}.`, log: silentLogger });
  await kafka.deleteTopics(Object.values(TOPICS)).catch(() => undefined);
  await kafka.close().catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
}, 120_000);

const opsGet = async <T>(path: string): Promise<{ status: number; body: T }> => {
  const r = await fetch(`${aggUrl}${path}`, { headers: { authorization: `Bearer ${OPS_TOKEN}` }, signal: AbortSignal.timeout(10_000) });
  return { status: r.status, body: (await r.json()) as T };
};

describe("stack profile end to end", () => {
  it("every event the edge scored reaches Cassandra, PostgreSQL and S3, and the ops API agrees with the edge", { timeout: 900_000 }, async () => {
    // A run-specific seed gives this run its own cards; event time within the last day, never ahead of now.
    const now = Date.now();
    const seed = Number.parseInt(uniq.slice(-6), 16);
    const events: LabelledEvent[] = [...generateStream({ seed, cards: 30, events: 400, startMs: now - 20 * 3_600_000, fraudRate: 0.08, meanGapSeconds: 1200 })].filter(
      (e) => Date.parse(e.event.timestamp_utc) < now - 60_000,
    );
    expect(events.length).toBeGreaterThan(200);
    expect(events.some((e) => e.is_fraud)).toBe(true);

    const answered = new Map<string, { verdict: VerdictResponse; labelled: LabelledEvent }>();
    for (let i = 0; i < events.length; i += 50) {
      const chunk = events.slice(i, i + 50);
      const r = await fetch(`${edgeUrl}/v1/transactions/score/batch`, {
        method: "POST",
        headers: { authorization: `Bearer ${EDGE_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ transactions: chunk.map((e) => e.event) }),
      });
      const text = await r.text();
      expect(r.status, text.slice(0, 500)).toBe(200);
      const { results } = JSON.parse(text) as { results: VerdictResponse[] };
      expect(results).toHaveLength(chunk.length);
      results.forEach((v, k) => answered.set(chunk[k]!.event.transaction_id, { verdict: v, labelled: chunk[k]! }));
    }
    const sent = [...answered.values()];
    expect(sent.every((s) => ["APPROVED", "REVIEW", "BLOCKED"].includes(s.verdict.verdict))).toBe(true);
    const blocked = sent.filter((s) => s.verdict.verdict === "BLOCKED");

    // Verdicts in Cassandra, through the ops API, match what the edge answered.
    const ids = [...answered.keys()];
    const missing = await until("every verdict readable from the ops API", 300_000, async () => {
      const left: string[] = [];
      for (const id of ids) {
        const r = await opsGet<{ verdict: string; fraud_score: number; rule_triggers: string[] }>(`/v1/transactions/${encodeURIComponent(id)}/fraud-verdict`);
        if (r.status !== 200) left.push(id);
      }
      return left.length === 0 ? left : undefined;
    }, 2000);
    expect(missing).toEqual([]);
    for (const [id, { verdict }] of answered) {
      const r = await opsGet<{ transaction_id: string; verdict: string; fraud_score: number; rule_triggers: string[] }>(`/v1/transactions/${encodeURIComponent(id)}/fraud-verdict`);
      expect(r.body.transaction_id).toBe(id);
      expect(r.body.verdict).toBe(verdict.verdict);
      expect(r.body.fraud_score).toBe(verdict.fraud_score);
      expect(r.body.rule_triggers).toEqual(verdict.rule_triggers);
    }

    // Card history: every BLOCKED transaction is in its card's alert history.
    for (const b of blocked) {
      const card = b.labelled.event.card_number_hash;
      const h = await until(`fraud history of ${card}`, 120_000, async () => {
        const r = await opsGet<{ fraud_history: Array<{ transaction_id: string; action_taken: string }> }>(`/v1/cards/${encodeURIComponent(card)}/fraud-history?limit=100`);
        return r.status === 200 && r.body.fraud_history.some((a) => a.transaction_id === b.labelled.event.transaction_id) ? r.body : undefined;
      });
      expect(h.fraud_history.find((a) => a.transaction_id === b.labelled.event.transaction_id)?.action_taken).toBe("BLOCKED");
    }

    // Daily summary (event date, UTC) in PostgreSQL equals what was sent, per date.
    const byDate = new Map<string, { total: number; flagged: number; blocked: number }>();
    for (const s of sent) {
      const d = s.labelled.event.timestamp_utc.slice(0, 10);
      const t = byDate.get(d) ?? { total: 0, flagged: 0, blocked: 0 };
      t.total++;
      if (s.verdict.verdict !== "APPROVED") t.flagged++;
      if (s.verdict.verdict === "BLOCKED") t.blocked++;
      byDate.set(d, t);
    }
    for (const [date, want] of byDate) {
      const got = await until(`fraud summary for ${date}`, 120_000, async () => {
        const r = await opsGet<{ total_transactions: number; flagged: number; blocked: number }>(`/v1/metrics/fraud-summary?date=${date}`);
        return r.status === 200 && r.body.total_transactions >= want.total ? r.body : undefined;
      });
      expect({ total: got.total_transactions, flagged: got.flagged, blocked: got.blocked }).toEqual(want);
    }

    // Parquet in S3Proxy, read back with DuckDB: one raw row per event sent.
    const raw = await until("raw Parquet rows for every event", 180_000, async () => {
      const st = await parquetStats(stores!.archive, `${S3_PREFIX}/raw/transactions/`);
      return st.transactions >= sent.length ? st : undefined;
    }, 3000);
    expect(raw.transactions).toBe(sent.length);
    expect(raw.rows).toBe(raw.positions);
    expect(raw.rows).toBe(sent.length);
    const count = (v: string) => sent.filter((x) => x.verdict.verdict === v).length;
    console.log(
      `stack e2e: ${sent.length} events (${sent.filter((x) => x.labelled.is_fraud).length} fraud) → APPROVED ${count("APPROVED")} REVIEW ${count("REVIEW")} BLOCKED ${count("BLOCKED")}; ` +
        `summary dates ${[...byDate.keys()].join(",")}; Parquet raw rows ${raw.rows} in ${raw.files} files`,
    );
  });
});
