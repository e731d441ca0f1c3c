import { describe, expect, it } from "vitest";
import type { ReferenceSignals, ScoredEvent, VerdictResponse } from "../core/schemas.js";
import { createApp } from "./app.js";
import { loadEdgeConfig } from "./config.js";
import type { EdgeDeps, Forwarder, LogFields, ReferenceData } from "./ports.js";
import type { CardScorer, ScoreItem } from "../core/contracts/scoring.js";
import { sha256Hex } from "./auth.js";
import { txn, type ErrorJson } from "./testing/helpers.js";

// The runtime-neutral app with fake ports: the degraded paths (scorer down, queue down, reference
// adapter misbehaving) each answer or log with a code, never silently.

const TOKEN = "unit-token-0123456789";

async function harness(over: Partial<Pick<EdgeDeps, "scorer" | "reference" | "forwarder">> = {}) {
  const config = loadEdgeConfig({
    REGION: "unit",
    REFERENCE_SOURCE: "none",
    EDGE_TOKENS: JSON.stringify([{ id: "unit", sha256: await sha256Hex(TOKEN), channels: ["ONLINE"] }]),
  });
  const logs: Array<{ level: string; code: string; fields?: LogFields }> = [];
  const pending: Promise<unknown>[] = [];
  const seen: ScoreItem[][] = [];
  const scorer: CardScorer = {
    scoreCard: (_card, items) => {
      seen.push(items);
      return Promise.resolve(
        items.map((i) => ({
          decision: { transaction_id: i.event.transaction_id, fraud_score: 10, verdict: "APPROVED" as const, confidence: 0.9, rule_triggers: [], ml_score: 0.1, reasons: [], model_version: "m", rules_version: "r" },
          features: {} as never,
          duplicate: false,
        })),
      );
    },
  };
  const forwarded: ScoredEvent[] = [];
  const forwarder: Forwarder = { forward: (r) => (forwarded.push(...r), Promise.resolve()) };
  const reference: ReferenceData = { lookup: () => Promise.resolve({ signals: { status: "OK" } }) };
  const deps: EdgeDeps = {
    config,
    scorer,
    reference,
    forwarder,
    ...over,
    now: () => Date.now(),
    waitUntil: (p) => void pending.push(p),
    log: {
      info: (code, fields) => void logs.push({ level: "info", code, fields }),
      warn: (code, fields) => void logs.push({ level: "warn", code, fields }),
      error: (code, fields) => void logs.push({ level: "error", code, fields }),
    },
  };
  const app = createApp(deps);
  const post = async (body: unknown) => {
    const res = await app.request("/v1/transactions/score", {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    await Promise.allSettled(pending);
    return res;
  };
  return { post, logs, forwarded, seen };
}

describe("createApp with fake ports", () => {
  it("scorer failure → 503 SCORING_UNAVAILABLE (retriable), logged, nothing forwarded", async () => {
    const h = await harness({ scorer: { scoreCard: () => Promise.reject(new Error("object overloaded")) } });
    const res = await h.post(txn());
    expect(res.status).toBe(503);
    const body = await res.json<ErrorJson>();
    expect(body.error).toMatchObject({ code: "SCORING_UNAVAILABLE", retriable: true });
    expect(h.logs.map((l) => l.code)).toContain("SCORING_FAILED");
    expect(h.forwarded).toHaveLength(0);
  });

  it("queue failure → the verdict is still answered and FORWARD_FAILED is logged", async () => {
    const h = await harness({ forwarder: { forward: () => Promise.reject(new Error("queue down")) } });
    const res = await h.post(txn());
    expect(res.status).toBe(200);
    expect(h.logs.find((l) => l.code === "FORWARD_FAILED")).toMatchObject({ level: "error", fields: { records: 1 } });
  });

  it("a reference adapter that throws anyway → scored with UNAVAILABLE signals, logged", async () => {
    const h = await harness({ reference: { lookup: () => Promise.reject(new Error("bug")) } });
    const res = await h.post(txn());
    expect(res.status).toBe(200);
    expect(h.seen[0]?.[0]?.refs).toEqual({ status: "UNAVAILABLE" } satisfies ReferenceSignals);
    expect(h.logs.map((l) => l.code)).toContain("REFERENCE_LOOKUP_THREW");
  });

  it("passes the active rule/model versions from the reference lookup to the scorer", async () => {
    const h = await harness({
      reference: { lookup: () => Promise.resolve({ signals: { status: "OK", bin_blocked: true }, rulesVersion: "rules-7", modelVersion: "model-3" }) },
    });
    const t = txn();
    const res = await h.post(t);
    expect((await res.json<VerdictResponse>()).transaction_id).toBe(t.transaction_id);
    expect(h.seen[0]?.[0]).toMatchObject({ rulesVersion: "rules-7", modelVersion: "model-3", refs: { bin_blocked: true } });
    expect(h.forwarded[0]).toMatchObject({ region: "unit", verdict: { transaction_id: t.transaction_id } });
  });

  it("forwards v2 with what the model saw and the shadow's call; v1 when the scorer reports no vector; nothing for a duplicate", async () => {
    const decision = (id: string) => ({ transaction_id: id, fraud_score: 10, verdict: "APPROVED" as const, confidence: 0.9, rule_triggers: [], ml_score: 0.1, reasons: [], model_version: "m", rules_version: "r" });
    const mf = { layout: "mf1-test", values: [1, null, 2.5] };
    const shadow = { model_version: "gbdt-2", fraud_score: 71, verdict: "REVIEW" as const };
    const kinds = ["v2", "v2-no-shadow", "v1", "dup"];
    let k = 0;
    const scorer: CardScorer = {
      scoreCard: (_card, items) =>
        Promise.resolve(
          items.map((i) => {
            const kind = kinds[k++];
            const base = { decision: decision(i.event.transaction_id), features: {} as never };
            if (kind === "dup") return { ...base, duplicate: true as const };
            if (kind === "v1") return { ...base, duplicate: false as const };
            return { ...base, duplicate: false as const, modelFeatures: mf, ...(kind === "v2" ? { shadow } : {}) };
          }),
        ),
    };
    const h = await harness({ scorer });
    for (let i = 0; i < kinds.length; i++) expect((await h.post(txn())).status).toBe(200);
    expect(h.forwarded).toHaveLength(3);
    expect(h.forwarded[0]).toMatchObject({ schema_version: 2, model_features: mf, shadow });
    expect(h.forwarded[1]).toMatchObject({ schema_version: 2, model_features: mf });
    expect(h.forwarded[1]).not.toHaveProperty("shadow");
    expect(h.forwarded[2]?.schema_version).toBe(1);
    expect(h.forwarded[2]).not.toHaveProperty("model_features");
  });
});
