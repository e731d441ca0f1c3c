import { silentLogger } from "../../core/contracts/logger.js";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScoredEvent } from "../../core/schemas.js";
import { signBody } from "../../core/signing.js";
import { loadConfig } from "../config.js";
import { compose, type Runtime } from "../main.js";
import { aggregatorOpenApi } from "../openapi/aggregator-api.js";
import { undocumented } from "../openapi/coverage.js";
import { sha256Hex } from "../http/auth.js";
import { scoredEvent } from "../testing/ops-fixtures.js";
import { REDIS_HASH } from "../reference/target.js";

// The composed aggregator (compose() of aggregator/main.ts, the code `npm start` and the stack
// run), in both profiles: signed ingest → bus → review-case and risk-facts sinks → review queue,
// decision, feedback, risk recomputation → reference snapshot (and Redis in the stack profile);
// health and OpenAPI coverage of the real app. Stack: real Kafka (own topic prefix and groups),
// Cassandra, PostgreSQL and Redis through the Upstash bridge; ids are unique per run.

const SECRET = "ops-e2e-int-test-secret-0123456789";
const TOKENS = { viewer: "e2e-viewer-token-01234", analyst: "e2e-analyst-token-01234", admin: "e2e-admin-token-01234" };
const DAY = 86_400_000;

const REDIS_URL = process.env.UPSTASH_REDIS_REST_URL ?? "http://127.0.0.1:8079";
const REDIS_TOKEN = process.env.UPSTASH_REDIS_REST_TOKEN ?? "vigil-local-token";

/** Polls; the deadline only bounds a run that would fail anyway (Kafka group joins take seconds). */
async function until<T>(f: () => Promise<T | undefined>, deadlineMs = Date.now() + 150_000): Promise<T> {
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadlineMs) throw new Error("condition not met before the deadline");
    await new Promise((r) => setTimeout(r, 250));
  }
}

for (const profile of ["embedded", "stack"] as const) {
describe(`ops on the composed aggregator (${profile} profile)`, () => {
const run = `${profile}-${process.pid}-${Date.now().toString(36)}`;
const id = (s: string) => `E2E-${run}-${s}`;
const MERCHANT = `MCH-${run}`;
let dir: string;
let rt: Runtime;
const redis = new Redis({ url: REDIS_URL, token: REDIS_TOKEN, enableTelemetry: false });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vigil-ops-e2e-"));
  const group = (s: string) => `e2e-${run}-${s}`;
  const config = loadConfig({
    VIGIL_PROFILE: profile,
    VIGIL_ENV: "local",
    VIGIL_DATA_DIR: dir,
    INGEST_SECRET: SECRET,
    KAFKA_TOPIC_PREFIX: `e2e-${run}.`,
    KAFKA_LOCAL_PARTITIONS: "2",
    KAFKA_LOCAL_RF: "1",
    SINK_GROUP_CASSANDRA: group("cassandra"),
    SINK_GROUP_POSTGRES: group("postgres"),
    SINK_GROUP_S3: group("s3"),
  });
  const env = {
    OPS_BOOTSTRAP_TOKENS: JSON.stringify(Object.entries(TOKENS).map(([role, t]) => ({ name: `e2e-${role}`, role, sha256: sha256Hex(t) }))),
    OPS_LABEL_DELAY_DAYS: "1",
    OPS_RISK_INTERVAL_SECONDS: "3600",
    SINK_GROUP_REVIEW: group("review"),
    SINK_GROUP_RISK_FACTS: group("risk"),
    ...(profile === "stack" ? { UPSTASH_REDIS_REST_URL: REDIS_URL, UPSTASH_REDIS_REST_TOKEN: REDIS_TOKEN } : {}),
  };
  rt = await compose(config, { log: silentLogger, env });
}, 240_000);

afterAll(async () => {
  await rt?.close();
  if (profile === "stack") await redis.hdel(REDIS_HASH.merchant, MERCHANT).catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
});

const call = async (method: string, path: string, token?: string, body?: unknown) => {
  const res = await rt.app.request(path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

async function ingest(records: ScoredEvent[]) {
  const body = JSON.stringify({ records });
  const headers = await signBody(SECRET, body, Math.floor(Date.now() / 1000));
  const res = await rt.app.request("/v1/ingest", { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
  expect(res.status).toBe(202);
}

  it("documents every route the composed app serves", () => {
    expect(undocumented(aggregatorOpenApi(), rt.app)).toEqual([]);
  });

  it("turns ingested REVIEW verdicts into cases, decisions and labels into published risk", async () => {
    const old = new Date(Date.now() - 5 * DAY).toISOString();
    const recs = [
      scoredEvent({ id: id("R1"), verdict: "REVIEW", score: 70, merchant: MERCHANT, card: `card-${run}-1`, at: old }),
      scoredEvent({ id: id("B1"), verdict: "BLOCKED", score: 95, merchant: MERCHANT, card: `card-${run}-2`, at: old }),
      ...Array.from({ length: 8 }, (_, i) => scoredEvent({ id: id(`A${i}`), merchant: MERCHANT, card: `card-${run}-a${i}`, at: old })),
    ];
    await ingest(recs);
    // At-least-once delivery from the edge: the same records again (a new request, so not a replay) still make one case.
    await ingest([...recs].reverse());

    const list = await until(async () => {
      const r = await call("GET", `/v1/review/cases?status=OPEN&card_hash=card-${run}-1`, TOKENS.viewer);
      const cases = r.body.cases as Array<{ case_id: number; transaction_id: string }>;
      return cases.some((c) => c.transaction_id === id("R1")) ? cases : undefined;
    });
    expect(list.filter((c) => c.transaction_id === id("R1"))).toHaveLength(1);
    const caseId = list.find((c) => c.transaction_id === id("R1"))?.case_id;
    // A BLOCKED verdict opens a case too (a wrong block must be correctable), once.
    const blocked = await until(async () => {
      const r = await call("GET", `/v1/review/cases?status=OPEN&card_hash=card-${run}-2`, TOKENS.viewer);
      const cases = r.body.cases as Array<{ transaction_id: string; blocked_count: number; transaction_count: number }>;
      return cases.length > 0 ? cases : undefined;
    });
    expect(blocked).toEqual([expect.objectContaining({ transaction_id: id("B1"), blocked_count: 1, transaction_count: 1 })]);

    expect((await call("POST", `/v1/review/cases/${caseId}/claim`, TOKENS.analyst)).status).toBe(200);
    const decided = await call("POST", `/v1/review/cases/${caseId}/decision`, TOKENS.analyst, { decision: "FRAUD", note: "confirmed with cardholder" });
    expect(decided.status).toBe(200);
    const fb = await call("POST", "/v1/feedback", TOKENS.analyst, { labels: [{ transaction_id: id("B1"), is_fraud: true, source: "CHARGEBACK" }] });
    expect(fb.body).toMatchObject({ created: 1 });

    // Verdict lookups come from the hot-store sink; wait for it, then the label shows.
    const verdict = await until(async () => {
      const r = await call("GET", `/v1/transactions/${id("B1")}/fraud-verdict`, TOKENS.viewer);
      return r.status === 200 ? r.body : undefined;
    });
    expect(verdict).toMatchObject({ verdict: "BLOCKED", label: { is_fraud: true, source: "CHARGEBACK" } });

    // Risk facts arrive through their own consumer; recompute once all ten are in.
    await until(async () => {
      const r = await call("POST", "/v1/risk/recompute", TOKENS.admin);
      const rec = (r.body as { recompute?: { merchants: number } }).recompute;
      return rec && rec.merchants >= 1 ? r : undefined;
    });
    const snap = await call("GET", "/v1/reference/snapshot", TOKENS.viewer);
    const risk = (snap.body.merchant_risk as Record<string, number>)[MERCHANT];
    expect(risk).toBeGreaterThan(0.1); // 2 frauds in 10, smoothed towards the window's own rate
    if (profile === "stack") expect(Number(await redis.hget(REDIS_HASH.merchant, MERCHANT))).toBeCloseTo(risk ?? -1, 6);
    expect((snap.body.card_tier as Record<string, string>)[`card-${run}-2`]).toBe("HIGH");

    const hist = await call("GET", `/v1/cards/card-${run}-2/fraud-history`, TOKENS.viewer);
    expect(hist.body).toMatchObject({ card_hash: `card-${run}-2`, total_alerts_90d: 1, risk_tier: "HIGH" });
  });

  it("reports health of the embedded dependencies and sinks", async () => {
    const h = await call("GET", "/v1/health", TOKENS.viewer);
    expect(h.status).toBe(200);
    const deps = profile === "stack" ? { cassandra: { ok: true }, postgres: { ok: true }, redis: { ok: true }, bus: { ok: true } } : { pglite: { ok: true }, bus: { ok: true } };
    expect(h.body).toMatchObject({ status: "healthy", dependencies: deps });
    expect(Object.keys(h.body.sinks as object)).toEqual(expect.arrayContaining(["cassandra", "postgres", "s3", "review_cases", "risk_facts"]));
    expect(typeof h.body.cassandra_latency_ms).toBe("number");
    expect((await call("GET", "/v1/health")).status).toBe(401);
  });
});
}
