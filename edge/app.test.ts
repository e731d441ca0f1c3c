import { createExecutionContext } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, inject, it, vi } from "vitest";
import type { ScoredEvent, VerdictResponse } from "../core/schemas.js";
import { BASE, call, ONLINE, score, scoreBatch, spyQueue, testEnv, txn, type ErrorJson } from "./testing/helpers.js";
import worker from "./workers/entry.js";
import { MODEL_FEATURE_LAYOUT, MODEL_FEATURE_NAMES } from "../core/features/model-features.js";

describe("routes", () => {
  it("GET /v1/health answers without auth: status, version, region only", async () => {
    const res = await call("/v1/health", { token: null });
    expect(res.status).toBe(200);
    const body = await res.json<Record<string, unknown>>();
    expect(body).toMatchObject({ status: "healthy", region: "test" });
    expect(Object.keys(body).sort()).toEqual(["region", "status", "time", "version"]);
    expect(res.headers.get("x-request-id")).toBeTruthy();
  });

  it("POST /v1/transactions/score answers a verdict with edge latency and forwards one ScoredEvent", async () => {
    const q = spyQueue();
    try {
      const t = txn();
      const res = await score(t);
      expect(res.status).toBe(200);
      const v = await res.json<VerdictResponse>();
      expect(v.transaction_id).toBe(t.transaction_id);
      expect(["APPROVED", "REVIEW", "BLOCKED"]).toContain(v.verdict);
      expect(v.fraud_score).toBeGreaterThanOrEqual(0);
      expect(v.latency_ms).toBeGreaterThanOrEqual(0);
      const records = q.records();
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({
        // v2: the model features as scored, for the feature store.
        schema_version: 2,
        model_features: { layout: MODEL_FEATURE_LAYOUT, values: expect.any(Array) },
        region: "test",
        event: { transaction_id: t.transaction_id, card_number_hash: t.card_number_hash },
        verdict: { transaction_id: t.transaction_id, verdict: v.verdict },
      });
    } finally {
      q.restore();
    }
  });

  it("accepts the spec's short form (card_hash alias, defaults filled)", async () => {
    const res = await score({
      transaction_id: `TXN-TEST-${crypto.randomUUID().slice(0, 8)}`,
      card_hash: "6c1a4e2f9b8d7c3a5e0f1b2d4c6a8e9f0a1b3c5d7e9f2a4c6e8b0d1f3a5c7e9b",
      amount_usd: 4999.99,
      merchant_id: "MCH-0022",
      channel: "ONLINE",
      geolocation: { lat: 55.75, lon: 37.61 },
    });
    expect(res.status).toBe(200);
  });

  it("POST /v1/transactions/score/batch answers results in request order", async () => {
    const items = [txn(), txn(), txn({ channel: "MOBILE" })];
    const res = await scoreBatch(items);
    expect(res.status).toBe(200);
    const { results } = await res.json<{ results: VerdictResponse[] }>();
    expect(results.map((r) => r.transaction_id)).toEqual(items.map((i) => i.transaction_id));
  });

  it("unknown route → 404 JSON, wrong method → 405 with Allow", async () => {
    const nf = await call("/v1/nope");
    expect(nf.status).toBe(404);
    expect((await nf.json<ErrorJson>()).error.code).toBe("NOT_FOUND");
    const m = await call("/v1/transactions/score", { method: "GET" });
    expect(m.status).toBe(405);
    expect(m.headers.get("allow")).toBe("POST");
    expect((await m.json<ErrorJson>()).error.code).toBe("METHOD_NOT_ALLOWED");
    const h = await call("/v1/health", { method: "DELETE" });
    expect(h.status).toBe(405);
  });

  it("serves through the Worker's own entry (exports.default) too", async () => {
    const res = await exports.default.fetch(`${BASE}/v1/health`);
    expect(res.status).toBe(200);
  });
});

describe("end to end in workerd", () => {
  it("a scored event travels queue → consumer → signed POST /v1/ingest", async () => {
    const receiverUrl = inject("receiverUrl");
    const t = txn();
    const res = await exports.default.fetch(`${BASE}/v1/transactions/score`, {
      method: "POST",
      headers: { authorization: `Bearer ${ONLINE}`, "content-type": "application/json" },
      body: JSON.stringify(t),
    });
    expect(res.status).toBe(200);
    const got = await vi.waitUntil(
      async () => {
        const r = (await (await fetch(`${receiverUrl}/worker/received`)).json()) as { batches: ScoredEvent[][] };
        return r.batches.flat().find((e) => e.event.transaction_id === t.transaction_id);
      },
      { timeout: 20_000, interval: 100 },
    );
    expect(got).toMatchObject({ schema_version: 2, region: "test", event: { card_number_hash: t.card_number_hash } });
    // What the model saw, through the real queue consumer: the current layout, one value per feature.
    if (got?.schema_version !== 2) throw new Error("not a v2 event");
    expect(got.model_features.layout).toBe(MODEL_FEATURE_LAYOUT);
    expect(got.model_features.values).toHaveLength(MODEL_FEATURE_NAMES.length);
    expect(got.model_features.values.some((v) => v !== null)).toBe(true);
  });
});

describe("configuration", () => {
  it("a wrong setting answers 500 CONFIG_INVALID naming it, and logs the name, not the value", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void lines.push(a.map(String).join(" ")));
    const env = { ...testEnv, EDGE_TOKENS: "[{\"id\":\"x\",\"sha256\":\"secret-not-hex\",\"channels\":[\"ONLINE\"]}]", MAX_BATCH: "lots" };
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request(`${BASE}/v1/health`) as Request<unknown, IncomingRequestCfProperties>, env, ctx);
    expect(res.status).toBe(500);
    const body = await res.json<ErrorJson>();
    expect(body.error.code).toBe("CONFIG_INVALID");
    expect(body.error.message).toContain("EDGE_TOKENS");
    expect(body.error.message).toContain("MAX_BATCH");
    expect(body.error.message).not.toContain("secret-not-hex");
    expect(lines.join("\n")).toContain("CONFIG_INVALID");
    expect(lines.join("\n")).not.toContain("secret-not-hex");
    vi.restoreAllMocks();
  });
});

describe("placement settings", () => {
  const health = (env: Record<string, unknown>) =>
    worker.fetch(new Request(`${BASE}/v1/health`) as Request<unknown, IncomingRequestCfProperties>, env as typeof testEnv, createExecutionContext());

  it("EU_CARD_JURISDICTION=eu where jurisdictions are unavailable (local workerd) → 500 CONFIG_INVALID naming it", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const res = await health({ ...testEnv, EU_CARD_JURISDICTION: "eu" });
    expect(res.status).toBe(500);
    const body = await res.json<ErrorJson>();
    expect(body.error.code).toBe("CONFIG_INVALID");
    expect(body.error.message).toContain("EU_CARD_JURISDICTION");
    vi.restoreAllMocks();
  });

  it("the replaced CARD_STATE_JURISDICTION is refused, not silently ignored", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void lines.push(a.map(String).join(" ")));
    const res = await health({ ...testEnv, CARD_STATE_JURISDICTION: "eu" });
    expect(res.status).toBe(500);
    const body = await res.json<ErrorJson>();
    expect(body.error.message).toContain("CARD_STATE_JURISDICTION");
    // The log line says what replaced it.
    expect(lines.join("\n")).toContain("EU_CARD_BINS");
    vi.restoreAllMocks();
  });

  it("a malformed EU_CARD_BINS → 500 CONFIG_INVALID naming it", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const res = await health({ ...testEnv, EU_CARD_BINS: "4975,12-345" });
    expect(res.status).toBe(500);
    expect((await res.json<ErrorJson>()).error.message).toContain("EU_CARD_BINS");
    vi.restoreAllMocks();
  });
});
